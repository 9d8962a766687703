import type { Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { applyFunctions } from "../functions/stored-function";
import { tenancyAdmitGroup } from "../functions/tenancy-admit-group";

/** Group admission: the admissions into one environment that arrive together, judged in turn in
 * one statement (server/service/reservations.ts). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await applyFunctions(db, tenancyAdmitGroup);
  },
};
