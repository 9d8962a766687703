import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Clusters, and the placement of environments on them: a domain's `clusters` places its
 * environments, an environment's own (when set, `[]` included) overrides it. Placements name
 * clusters in JSON arrays; the cluster service keeps them pointing at clusters that exist. */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table clusters (
        name text primary key,
        display_name text,
        description text,
        labels jsonb,
        version integer not null default 1,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        managed_by jsonb,
        claim text
      )`.execute(db);
    await sql`alter table domains add column clusters jsonb`.execute(db);
    await sql`alter table environments add column clusters jsonb`.execute(db);
  },
};
