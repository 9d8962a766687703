import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** When each released reservation was admitted and released, for the console's executions chart
 * (live reservations are in `reservations`). Kept for eight days: each release drops its
 * environment's older entries. */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table reservation_history (
        id text primary key,
        project text not null,
        environment text not null,
        executions integer not null,
        admitted_at timestamptz not null,
        released_at timestamptz not null,
        foreign key (project, environment) references environments (project, name)
          on update cascade on delete cascade
      )`.execute(db);
    await sql`create index reservation_history_released on reservation_history (project, environment, released_at)`.execute(
      db,
    );
  },
};
