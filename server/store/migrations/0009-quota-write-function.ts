import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { applyFunctions } from "../functions/stored-function";
import { tenancyIso } from "../functions/tenancy-iso";
import { tenancyPutQuota } from "../functions/tenancy-put-quota";
import { tenancyQuotaJson } from "../functions/tenancy-quota-json";

/** A quota's PUT in one statement: locked, judged, written and audited in the database. */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await applyFunctions(db, tenancyIso, tenancyQuotaJson, tenancyPutQuota);
  },
};
