import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/** A quota as the API shows it (toQuota, server/service/quotas.ts), for its audit entries. */
export const tenancyQuotaJson: StoredFunction = {
  name: "tenancy_quota_json",
  definition: sql`
  create or replace function tenancy_quota_json(q quotas) returns jsonb
  language plpgsql stable parallel safe as $$
  declare
    v_owner jsonb;
    v_key text;
  begin
    if q.managed_by is not null then
      v_owner := '{}'::jsonb;
      foreach v_key in array array['stack', 'urn', 'deletedWith'] loop
        if q.managed_by ? v_key then
          v_owner := v_owner || jsonb_build_object(v_key, q.managed_by->v_key);
        end if;
      end loop;
    end if;
    return jsonb_strip_nulls(jsonb_build_object(
        'project', q.project, 'environment', q.environment,
        'cpu', q.cpu, 'memory', q.memory, 'gpu', q.gpu, 'storage', q.storage,
        'maxConcurrentExecutions', q.max_concurrent_executions, 'version', q.version,
        'createdAt', tenancy_iso(q.created_at), 'updatedAt', tenancy_iso(q.updated_at)))
      || jsonb_build_object('managedBy', v_owner);
  end
  $$`,
};
