import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** What tenancy sync last reported of each environment on each cluster. A report goes with its
 * cluster and its environment (deleted with either; moved with a transfer). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table cluster_status (
        cluster text not null references clusters (name) on delete cascade,
        project text not null,
        environment text not null,
        phase text not null check (phase in ('synced', 'conflict', 'error')),
        synced_version integer not null,
        synced_at timestamptz not null,
        message text,
        usage jsonb,
        reported_at timestamptz not null,
        primary key (cluster, project, environment),
        foreign key (project, environment) references environments (project, name)
          on update cascade on delete cascade
      )`.execute(db);
  },
};
