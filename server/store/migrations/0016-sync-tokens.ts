import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Sync tokens: a token made for one cluster reads only what is placed there. A cluster keeps when
 * its sync last spoke and which process leads it. A status report outlives its environment until
 * sync has removed what it made for it: until then the change feed shows that sync the changes
 * of an environment it still has objects for (its deletion, its move elsewhere). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table tokens add column cluster text`.execute(db);
    await sql`alter table clusters add column last_seen_at timestamptz`.execute(db);
    await sql`alter table clusters add column leader text`.execute(db);
    await sql`alter table cluster_status drop constraint cluster_status_project_environment_fkey`.execute(db);
  },
};
