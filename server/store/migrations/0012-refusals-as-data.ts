import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { applyFunctions } from "../functions/stored-function";
import { tenancyAdmitGroup } from "../functions/tenancy-admit-group";
import { tenancyAllocation } from "../functions/tenancy-allocation";
import { tenancyAllocationRefusal } from "../functions/tenancy-allocation-refusal";
import { tenancyDefaultsRefusal } from "../functions/tenancy-defaults-refusal";
import { tenancyOver } from "../functions/tenancy-over";
import { tenancyPutQuota } from "../functions/tenancy-put-quota";
import { tenancyScope } from "../functions/tenancy-scope";

/** The store's rules answer a refusal as data (server/service/refusals.ts words it): the
 * admission's quota and ceilings, a ceiling's allocation and the defaults within a quota each have
 * one function, which every write that must keep the rule asks. */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await applyFunctions(
      db,
      tenancyScope,
      tenancyOver,
      tenancyAllocation,
      tenancyAllocationRefusal,
      tenancyDefaultsRefusal,
      tenancyPutQuota,
      tenancyAdmitGroup,
    );
  },
};
