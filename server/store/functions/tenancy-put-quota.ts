import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/**
 * A quota's PUT in one statement (server/service/quotas.ts). Returns null when there is no such
 * environment. Refused by its claim, its version (p_expected: If-Match, null when none came) or the
 * defaults that reach the environment (tenancy_defaults_refusal), it writes nothing and returns
 * {written: false, refusal}. Else it writes the row with its ownership (the writer's when it adopts
 * the quota or manages it, else as it was) and its audit entry, and returns {written: true} with the
 * row before and after. A ceiling above that the quotas below no longer fit
 * (tenancy_allocation_refusal) raises SQLSTATE TY002 with the refusal as its detail, undoing it all.
 */
export const tenancyPutQuota: StoredFunction = {
  name: "tenancy_put_quota",
  definition: sql`
  create or replace function tenancy_put_quota(
    p_project text, p_environment text,
    p_cpu text, p_memory text, p_gpu text, p_storage text, p_executions integer,
    p_expected integer, p_adopt boolean, p_owner jsonb, p_claim text,
    p_at timestamptz, p_actor text, p_target_kind text, p_target_id text
  ) returns jsonb language plpgsql as $$
  declare
    v_domain text;
    v_exists boolean;
    v_before quotas;
    v_after quotas;
    v_takes boolean;
    v_refusal jsonb;
  begin
    -- Every write to the quota locks its environment first (as a transfer and an admission do).
    select e.domain into v_domain from environments e
      where e.project = p_project and e.name = p_environment
      for update;
    if not found then
      return null;
    end if;
    select * into v_before from quotas q
      where q.project = p_project and q.environment = p_environment
      for update;
    v_exists := found;
    -- A replacement holds the claim and names the version it replaces; a creation names none.
    if v_exists and not (p_adopt or p_claim is null or v_before.claim is not distinct from p_claim) then
      return jsonb_build_object('written', false, 'refusal', jsonb_build_object(
        'code', 'conflict', 'rule', 'claim', 'managedBy', v_before.managed_by));
    end if;
    if v_exists and p_expected is null then
      return jsonb_build_object('written', false, 'refusal', jsonb_build_object(
        'code', 'validation_failed', 'rule', 'if-match'));
    end if;
    -- With no quota, v_before's fields are null: a creation names no version.
    if p_expected is distinct from v_before.version then
      return jsonb_build_object('written', false, 'refusal', jsonb_build_object(
        'code', 'version_mismatch', 'rule', 'version', 'expected', p_expected,
        'actual', coalesce(v_before.version, 0)));
    end if;
    v_refusal := tenancy_defaults_refusal(p_project, p_environment, v_domain,
      jsonb_build_object('cpu', p_cpu, 'memory', p_memory, 'gpu', p_gpu, 'storage', p_storage));
    if v_refusal is not null then
      return jsonb_build_object('written', false, 'refusal', v_refusal);
    end if;
    if v_exists then
      v_takes := p_adopt or coalesce(p_owner->>'urn' = v_before.managed_by->>'urn', false);
      update quotas set
          cpu = p_cpu, memory = p_memory, gpu = p_gpu, storage = p_storage,
          max_concurrent_executions = p_executions,
          updated_at = p_at, version = v_before.version + 1,
          managed_by = case when v_takes then p_owner else v_before.managed_by end,
          claim = case when v_takes then p_claim else v_before.claim end
        where project = p_project and environment = p_environment
        returning * into v_after;
    else
      insert into quotas (project, environment, cpu, memory, gpu, storage, max_concurrent_executions,
          created_at, updated_at, managed_by, claim)
        values (p_project, p_environment, p_cpu, p_memory, p_gpu, p_storage, p_executions,
          p_at, p_at, p_owner, p_claim)
        returning * into v_after;
    end if;
    insert into audit (at, actor, action, target_kind, target_id, before, after)
      values (p_at, p_actor, case when v_exists then 'quota.update' else 'quota.create' end,
        p_target_kind, p_target_id,
        case when v_exists then tenancy_quota_json(v_before) end, tenancy_quota_json(v_after));
    -- The ceilings above, in the lock order (server/service/ceilings.ts): the project's and the
    -- domain's rows held, then the project's ceiling and the domain's. Their sums are read by
    -- the next statement, whose snapshot sees every quota written before the locks were granted.
    perform 1 from projects p join domains d on true
      where p.name = p_project and d.name = v_domain
      for share;
    perform 1 from (
      select c.id from ceilings c
        where c.project = p_project or c.domain = v_domain
        order by c.project is null
        for update
    ) locked;
    if found then
      select r.refusal into v_refusal
        from (
          select tenancy_allocation_refusal(c) as refusal, c.project is null as second
            from ceilings c
            where c.project = p_project or c.domain = v_domain
        ) r
        where r.refusal is not null
        order by r.second
        limit 1;
      if v_refusal is not null then
        -- Raised, so that the write and its audit entry are undone with it.
        raise exception 'a ceiling above environment %/% does not hold its quota', p_project, p_environment
          using errcode = 'TY002', detail = v_refusal::text;
      end if;
    end if;
    return jsonb_build_object('written', true,
      'before', case when v_exists then to_jsonb(v_before) end, 'after', to_jsonb(v_after));
  end
  $$`,
};
