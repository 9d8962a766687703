import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";
import { applyFunctions } from "../functions/stored-function";
import { tenancyRecordChange } from "../functions/tenancy-record-change";

/** The change feed (server/service/changes.ts): every audited change but reservations and reveals,
 * numbered in commit order by tenancy_record_change. `change_feed` holds the last revision drawn and
 * the last one pruned (older than the feed keeps). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table change_feed (
        revision bigint not null,
        pruned_through bigint not null
      )`.execute(db);
    await sql`insert into change_feed (revision, pruned_through) values (0, 0)`.execute(db);
    await sql`
      create table changes (
        revision bigint primary key,
        at timestamptz not null,
        kind text not null,
        id text not null,
        project text,
        environment text,
        action text not null check (action in ('created', 'updated', 'deleted'))
      )`.execute(db);
    await sql`create index changes_at on changes (at)`.execute(db);
    await applyFunctions(db, tenancyRecordChange);
    await sql`
      create constraint trigger audit_change_feed after insert on audit
        deferrable initially deferred
        for each row
        when (new.target_kind <> 'Reservation' and new.action <> 'secret.reveal')
        execute function tenancy_record_change()`.execute(db);
  },
};
