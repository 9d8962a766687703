import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/**
 * Group admission (server/service/admission-groups.ts): the admissions into one environment that
 * arrive together, judged one after another under one lock. `p_group` holds them in the order they
 * arrived, each with its audit entry (a creation's) and its Idempotency-Key (or nulls). Returns null
 * when there is no such environment and {archived} when its project is archived; else, for each in
 * order: {admitted: true}; {admitted: false, refusal} (what refused it, the quota or the first
 * ceiling above, as data: server/service/refusals.ts); or {keyTaken: true} when a concurrent request
 * holds its key. The admitted ones are written, audited and counted in the totals of the environment
 * and the ceilings; a refused one writes nothing and does not count for those after it.
 */
export const tenancyAdmitGroup: StoredFunction = {
  name: "tenancy_admit_group",
  definition: sql`
  create or replace function tenancy_admit_group(p_project text, p_environment text, p_group jsonb)
  returns jsonb language plpgsql as $$
  declare
    v_env record;
    v_quota jsonb;
    v_ceiling ceilings;
    v_ceilings ceilings[] := '{}';
    v_item jsonb;
    v_cpu numeric; v_memory numeric; v_gpu numeric; v_storage numeric; v_executions integer;
    v_refusal jsonb;
    v_results jsonb := '[]'::jsonb;
    v_admitted jsonb := '[]'::jsonb;
    j integer;
  begin
    -- The environment's lock (admissions there go one at a time), and its project's and
    -- domain's rows held, so no ceiling is created over the reservations while they are in
    -- flight. Its totals, as the group raises them, are kept in v_env until written back.
    select e.domain, p.archived, e.used_cpu_milli as cpu, e.used_memory_milli as memory,
        e.used_gpu_milli as gpu, e.used_storage_milli as storage, e.used_executions as executions
      into v_env
      from environments e
        join projects p on p.name = e.project
        join domains d on d.name = e.domain
      where e.project = p_project and e.name = p_environment
      for update of e for key share of p, d;
    if not found then
      return null;
    end if;
    if v_env.archived then
      return jsonb_build_object('archived', true);
    end if;
    select jsonb_build_object('cpu', q.cpu, 'memory', q.memory, 'gpu', q.gpu, 'storage', q.storage,
        'max_concurrent_executions', q.max_concurrent_executions)
      into v_quota
      from quotas q where q.project = p_project and q.environment = p_environment;
    -- The ceilings above, locked in the lock order (the project's, then the domain's); their
    -- totals, as the group raises them, are kept in v_ceilings until written back.
    for v_ceiling in
      select c.* from ceilings c
        where c.project = p_project or c.domain = v_env.domain
        order by c.project is null
        for update
    loop
      v_ceilings := v_ceilings || v_ceiling;
    end loop;
    for v_item in select g from jsonb_array_elements(p_group) as g loop
      v_cpu := (v_item->>'cpu')::numeric;
      v_memory := (v_item->>'memory')::numeric;
      v_gpu := (v_item->>'gpu')::numeric;
      v_storage := (v_item->>'storage')::numeric;
      v_executions := (v_item->>'executions')::integer;
      v_refusal := null;
      if v_quota is not null and not (
          tenancy_fits(v_quota->>'cpu', v_env.cpu, v_cpu)
          and tenancy_fits(v_quota->>'memory', v_env.memory, v_memory)
          and tenancy_fits(v_quota->>'gpu', v_env.gpu, v_gpu)
          and tenancy_fits(v_quota->>'storage', v_env.storage, v_storage)
          and tenancy_fits_executions(
            (v_quota->>'max_concurrent_executions')::integer, v_env.executions, v_executions)) then
        v_refusal := jsonb_build_object('admitted', false, 'refusal', jsonb_build_object(
          'code', 'quota_exceeded', 'rule', 'admission',
          'scope', tenancy_scope(p_project, p_environment, null),
          'over', tenancy_over(v_quota, jsonb_build_object('cpu', v_env.cpu, 'memory', v_env.memory,
            'gpu', v_env.gpu, 'storage', v_env.storage, 'executions', v_env.executions), v_item)));
      end if;
      if v_refusal is null then
        for j in 1 .. coalesce(array_length(v_ceilings, 1), 0) loop
          if not (tenancy_fits((v_ceilings[j]).cpu, (v_ceilings[j]).used_cpu_milli, v_cpu)
              and tenancy_fits((v_ceilings[j]).memory, (v_ceilings[j]).used_memory_milli, v_memory)
              and tenancy_fits((v_ceilings[j]).gpu, (v_ceilings[j]).used_gpu_milli, v_gpu)
              and tenancy_fits((v_ceilings[j]).storage, (v_ceilings[j]).used_storage_milli, v_storage)
              and tenancy_fits_executions(
                (v_ceilings[j]).max_concurrent_executions, (v_ceilings[j]).used_executions, v_executions)) then
            v_refusal := jsonb_build_object('admitted', false, 'refusal', jsonb_build_object(
              'code', 'quota_exceeded', 'rule', 'admission',
              'scope', tenancy_scope((v_ceilings[j]).project, null, (v_ceilings[j]).domain),
              'over', tenancy_over(to_jsonb(v_ceilings[j]), jsonb_build_object(
                'cpu', (v_ceilings[j]).used_cpu_milli, 'memory', (v_ceilings[j]).used_memory_milli,
                'gpu', (v_ceilings[j]).used_gpu_milli, 'storage', (v_ceilings[j]).used_storage_milli,
                'executions', (v_ceilings[j]).used_executions), v_item)));
            exit;
          end if;
        end loop;
      end if;
      -- An Idempotency-Key is stored with what it created (server/service/idempotency.ts); a
      -- key that a concurrent request stored first leaves this admission out.
      if v_refusal is null and v_item->>'key' is not null then
        delete from idempotency_keys
          where actor = v_item->>'key_actor' and key = v_item->>'key'
            and created_at <= now() - (v_item->>'key_lifetime')::interval;
        insert into idempotency_keys (actor, key, fingerprint, status, response)
          values (v_item->>'key_actor', v_item->>'key', v_item->>'fingerprint', 201, v_item->'after')
          on conflict do nothing;
        if not found then
          v_refusal := jsonb_build_object('keyTaken', true);
        end if;
      end if;
      if v_refusal is not null then
        v_results := v_results || jsonb_build_array(v_refusal);
        continue;
      end if;
      v_results := v_results || jsonb_build_array(jsonb_build_object('admitted', true));
      v_admitted := v_admitted || jsonb_build_array(v_item);
      v_env.cpu := v_env.cpu + v_cpu;
      v_env.memory := v_env.memory + v_memory;
      v_env.gpu := v_env.gpu + v_gpu;
      v_env.storage := v_env.storage + v_storage;
      v_env.executions := v_env.executions + v_executions;
      for j in 1 .. coalesce(array_length(v_ceilings, 1), 0) loop
        v_ceilings[j].used_cpu_milli := (v_ceilings[j]).used_cpu_milli + v_cpu;
        v_ceilings[j].used_memory_milli := (v_ceilings[j]).used_memory_milli + v_memory;
        v_ceilings[j].used_gpu_milli := (v_ceilings[j]).used_gpu_milli + v_gpu;
        v_ceilings[j].used_storage_milli := (v_ceilings[j]).used_storage_milli + v_storage;
        v_ceilings[j].used_executions := (v_ceilings[j]).used_executions + v_executions;
      end loop;
    end loop;
    if jsonb_array_length(v_admitted) = 0 then
      return jsonb_build_object('archived', false, 'results', v_results);
    end if;
    insert into reservations
        (id, project, environment, cpu_milli, memory_milli, gpu_milli, storage_milli, executions, actor, created_at)
      select a.id, p_project, p_environment, a.cpu, a.memory, a.gpu, a.storage, a.executions, a.actor, a.at
        from jsonb_to_recordset(v_admitted) as a(
          id text, cpu numeric, memory numeric, gpu numeric, storage numeric, executions integer,
          actor text, at timestamptz);
    -- The audit entries in the order the admissions were judged.
    insert into audit (at, actor, action, target_kind, target_id, before, after)
      select (a.entry->>'at')::timestamptz, a.entry->>'actor', a.entry->>'action', a.entry->>'target_kind',
          a.entry->>'id', null, a.entry->'after'
        from jsonb_array_elements(v_admitted) with ordinality as a(entry, n)
        order by a.n;
    update environments set
        used_cpu_milli = v_env.cpu, used_memory_milli = v_env.memory, used_gpu_milli = v_env.gpu,
        used_storage_milli = v_env.storage, used_executions = v_env.executions
      where project = p_project and name = p_environment;
    for j in 1 .. coalesce(array_length(v_ceilings, 1), 0) loop
      update ceilings set
          used_cpu_milli = (v_ceilings[j]).used_cpu_milli, used_memory_milli = (v_ceilings[j]).used_memory_milli,
          used_gpu_milli = (v_ceilings[j]).used_gpu_milli, used_storage_milli = (v_ceilings[j]).used_storage_milli,
          used_executions = (v_ceilings[j]).used_executions
        where id = (v_ceilings[j]).id;
    end loop;
    return jsonb_build_object('archived', false, 'results', v_results);
  end
  $$`,
};
