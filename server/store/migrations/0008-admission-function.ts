import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { applyFunctions } from "../functions/stored-function";
import { tenancyAdmit } from "../functions/tenancy-admit";
import { tenancyFits } from "../functions/tenancy-fits";
import { tenancyFitsExecutions } from "../functions/tenancy-fits-executions";
import { tenancyQuantityMilli } from "../functions/tenancy-quantity-milli";

/** An admission in one statement: the environment locked, its quota and the ceilings above it
 * judged, and the reservation written, all in the database. */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await applyFunctions(db, tenancyQuantityMilli, tenancyFits, tenancyFitsExecutions, tenancyAdmit);
  },
};
