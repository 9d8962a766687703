import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Which Pulumi resource manages each object, and its claim (see server/service/ownership.ts). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    for (const table of [
      "domains",
      "projects",
      "environments",
      "quotas",
      "resource_defaults",
      "secrets",
      "role_bindings",
    ]) {
      await sql`alter table ${sql.table(table)} add column managed_by jsonb, add column claim text`.execute(
        db,
      );
    }
  },
};
