import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { applyFunctions } from "../functions/stored-function";
import { tenancyQuantityMilli } from "../functions/tenancy-quantity-milli";
import { tenancyQuotaJson } from "../functions/tenancy-quota-json";

/** The helpers of the admission and the quota write become PL/pgSQL, which keeps their plans for
 * the session (as SQL functions they were planned again in every statement that called them). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await applyFunctions(db, tenancyQuantityMilli, tenancyQuotaJson);
  },
};
