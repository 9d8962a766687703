import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/**
 * The change feed's entry of one audited change (GET /v1/changes), run by a deferred trigger on the
 * audit log, so at the commit of the transaction that made the change, after every other statement
 * of it. It draws the revision by raising the one row of change_feed, whose lock it then holds until
 * the commit: the next transaction to draw waits for that commit, so revisions increase in commit
 * order, and a follower that has seen revision R has seen every change committed before it.
 * Reservations and reveals are not changes of what the feed describes (the trigger leaves them out).
 */
export const tenancyRecordChange: StoredFunction = {
  name: "tenancy_record_change",
  definition: sql`
  create or replace function tenancy_record_change() returns trigger language plpgsql as $$
  declare
    v_state jsonb := coalesce(new.after, new.before);
    v_revision bigint;
  begin
    update change_feed set revision = revision + 1 returning revision into v_revision;
    insert into changes (revision, at, kind, id, project, environment, action)
      values (v_revision, now(), new.target_kind, new.target_id,
        case when new.target_kind = 'Project' then new.target_id else v_state->>'project' end,
        case when new.target_kind = 'Environment' then v_state->>'name' else v_state->>'environment' end,
        case
          when new.action ~ '[.](create|add)$' then 'created'
          when new.action ~ '[.](delete|remove|revoke)$' then 'deleted'
          else 'updated'
        end);
    return null;
  end
  $$`,
};
