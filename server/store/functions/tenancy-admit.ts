import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/**
 * The single admission of servers before group admission (migration 0011), kept so that during a
 * rolling upgrade the servers not yet upgraded keep admitting: it locks the environment and then
 * its ceilings, as tenancy_admit_group does, so both run side by side (test/api/migrations.spec.ts
 * admits through both under one ceiling). No server of this version calls it. To be dropped by a
 * migration of the first release whose upgrade notes require every server to run 0.2.0 or later.
 */
export const tenancyAdmit: StoredFunction = {
  name: "tenancy_admit",
  definition: sql`
  create or replace function tenancy_admit(
    p_project text, p_environment text,
    p_cpu numeric, p_memory numeric, p_gpu numeric, p_storage numeric, p_executions integer,
    p_at timestamptz, p_actor text, p_action text, p_target_kind text, p_target_id text,
    p_before jsonb, p_after jsonb,
    p_key_actor text, p_key text, p_fingerprint text, p_key_lifetime interval
  ) returns jsonb language plpgsql as $$
  declare
    v_env record;
    v_quota jsonb;
    v_totals jsonb;
    v_ceilings jsonb;
    v_admitted boolean;
  begin
    -- The environment's lock (admissions there go one at a time), and its project's and
    -- domain's rows held, so no ceiling is created over the reservation while it is in flight.
    select e.domain, p.archived,
        e.used_cpu_milli + p_cpu as cpu, e.used_memory_milli + p_memory as memory,
        e.used_gpu_milli + p_gpu as gpu, e.used_storage_milli + p_storage as storage,
        e.used_executions + p_executions as executions
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
    v_admitted := v_quota is null or (
      tenancy_fits(v_quota->>'cpu', v_env.cpu - p_cpu, p_cpu)
      and tenancy_fits(v_quota->>'memory', v_env.memory - p_memory, p_memory)
      and tenancy_fits(v_quota->>'gpu', v_env.gpu - p_gpu, p_gpu)
      and tenancy_fits(v_quota->>'storage', v_env.storage - p_storage, p_storage)
      and tenancy_fits_executions(
        (v_quota->>'max_concurrent_executions')::integer, v_env.executions - p_executions, p_executions));
    v_totals := jsonb_build_object(
      'cpu', v_env.cpu::text, 'memory', v_env.memory::text, 'gpu', v_env.gpu::text,
      'storage', v_env.storage::text, 'executions', v_env.executions::text);
    if not v_admitted then
      return jsonb_build_object('archived', false, 'admitted', false, 'quota', v_quota,
        'totals', v_totals, 'ceilings', '[]'::jsonb);
    end if;
    insert into reservations
        (id, project, environment, cpu_milli, memory_milli, gpu_milli, storage_milli, executions, actor, created_at)
      values (p_target_id, p_project, p_environment, p_cpu, p_memory, p_gpu, p_storage, p_executions, p_actor, p_at);
    insert into audit (at, actor, action, target_kind, target_id, before, after)
      values (p_at, p_actor, p_action, p_target_kind, p_target_id, p_before, p_after);
    update environments set
        used_cpu_milli = used_cpu_milli + p_cpu, used_memory_milli = used_memory_milli + p_memory,
        used_gpu_milli = used_gpu_milli + p_gpu, used_storage_milli = used_storage_milli + p_storage,
        used_executions = used_executions + p_executions
      where project = p_project and name = p_environment;
    -- An Idempotency-Key is stored with what it created (server/service/idempotency.ts): a
    -- concurrent request with the same key fails on the primary key, which undoes it all.
    if p_key is not null then
      delete from idempotency_keys
        where actor = p_key_actor and key = p_key and created_at <= now() - p_key_lifetime;
      insert into idempotency_keys (actor, key, fingerprint, status, response)
        values (p_key_actor, p_key, p_fingerprint, 201, p_after);
    end if;
    -- Last, the ceilings above: locked in the lock order (the project's, then the domain's) and
    -- raised, so a ceiling, shared by every environment below it, is held only from here to the
    -- commit. One that the reservation takes past a limit undoes it all; the error's detail
    -- carries the ceilings as raised, for the refusal's message.
    with locked as (
      select c.id from ceilings c
        where c.project = p_project or c.domain = v_env.domain
        order by c.project is null
        for update
    ), raised as (
      update ceilings c set
          used_cpu_milli = c.used_cpu_milli + p_cpu, used_memory_milli = c.used_memory_milli + p_memory,
          used_gpu_milli = c.used_gpu_milli + p_gpu, used_storage_milli = c.used_storage_milli + p_storage,
          used_executions = c.used_executions + p_executions
        from locked where c.id = locked.id
        returning c.*
    )
    select
      coalesce(jsonb_agg(jsonb_build_object(
        'project', r.project, 'domain', r.domain,
        'cpu', r.cpu, 'memory', r.memory, 'gpu', r.gpu, 'storage', r.storage,
        'max_concurrent_executions', r.max_concurrent_executions,
        'used_cpu_milli', r.used_cpu_milli::text, 'used_memory_milli', r.used_memory_milli::text,
        'used_gpu_milli', r.used_gpu_milli::text, 'used_storage_milli', r.used_storage_milli::text,
        'used_executions', r.used_executions::text
      ) order by r.project is null), '[]'::jsonb),
      coalesce(bool_and(
        tenancy_fits(r.cpu, r.used_cpu_milli - p_cpu, p_cpu)
        and tenancy_fits(r.memory, r.used_memory_milli - p_memory, p_memory)
        and tenancy_fits(r.gpu, r.used_gpu_milli - p_gpu, p_gpu)
        and tenancy_fits(r.storage, r.used_storage_milli - p_storage, p_storage)
        and tenancy_fits_executions(r.max_concurrent_executions, r.used_executions - p_executions, p_executions)),
        true)
      into v_ceilings, v_admitted
      from raised r;
    if not v_admitted then
      raise exception 'a ceiling above environment %/% does not admit this reservation', p_project, p_environment
        using errcode = 'TY001', detail = v_ceilings::text;
    end if;
    return jsonb_build_object('archived', false, 'admitted', true, 'quota', v_quota,
      'totals', v_totals, 'ceilings', v_ceilings);
  end
  $$`,
};
