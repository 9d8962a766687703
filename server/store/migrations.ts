// Schema migrations, applied in order by Kysely's Migrator. The same SQL runs on PostgreSQL and
// PGlite; every invariant that SQL can hold (references, uniqueness, cascades on transfer) lives
// here, so it holds whoever writes to the database.
import { sql, type Kysely } from "kysely";
import type { Migration, MigrationProvider } from "kysely/migration";

const initial: Migration = {
  async up(db: Kysely<unknown>) {
    const versioned = sql`
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now()`;
    await sql`
      create table domains (
        name text primary key,
        tier text not null check (tier in ('production', 'non-production')),
        display_name text,
        description text,
        "order" integer,
        ${versioned}
      )`.execute(db);
    await sql`
      create table projects (
        name text primary key,
        display_name text,
        description text,
        labels jsonb,
        archived boolean not null default false,
        ${versioned}
      )`.execute(db);
    // An environment's project changes by transfer: ON UPDATE CASCADE carries its quota, defaults,
    // secrets, role bindings and reservations along in the same statement.
    await sql`
      create table environments (
        project text not null references projects (name) on update cascade on delete restrict,
        name text not null,
        domain text not null references domains (name) on delete restrict,
        description text,
        labels jsonb,
        protected boolean not null default false,
        ${versioned},
        primary key (project, name)
      )`.execute(db);
    await sql`create index environments_domain on environments (domain)`.execute(db);
    await sql`
      create table quotas (
        project text not null,
        environment text not null,
        cpu text,
        memory text,
        gpu text,
        storage text,
        max_concurrent_executions integer,
        ${versioned},
        primary key (project, environment),
        foreign key (project, environment) references environments (project, name)
          on update cascade on delete restrict
      )`.execute(db);
    await sql`
      create table resource_defaults (
        id serial primary key,
        domain text references domains (name) on delete restrict,
        project text references projects (name) on update cascade on delete restrict,
        environment text,
        requests jsonb,
        limits jsonb,
        ${versioned},
        foreign key (project, environment) references environments (project, name)
          on update cascade on delete restrict,
        check (
          (domain is not null and project is null and environment is null) or
          (domain is null and project is not null)
        )
      )`.execute(db);
    await sql`create unique index resource_defaults_domain on resource_defaults (domain) where domain is not null`.execute(
      db,
    );
    await sql`create unique index resource_defaults_project on resource_defaults (project) where project is not null and environment is null`.execute(
      db,
    );
    await sql`create unique index resource_defaults_environment on resource_defaults (project, environment) where environment is not null`.execute(
      db,
    );
    await sql`
      create table secrets (
        id text primary key,
        project text not null,
        environment text not null,
        name text not null,
        kind text not null check (kind in ('value', 'reference')),
        reference text,
        key_id text,
        nonce bytea,
        ciphertext bytea,
        description text,
        value_version integer not null default 1,
        ${versioned},
        unique (project, environment, name),
        foreign key (project, environment) references environments (project, name)
          on update cascade on delete restrict,
        check ((kind = 'value') = (ciphertext is not null and key_id is not null and nonce is not null)),
        check ((kind = 'reference') = (reference is not null))
      )`.execute(db);
    await sql`
      create table role_bindings (
        id text primary key,
        project text not null references projects (name) on update cascade on delete restrict,
        environment text,
        subject text not null,
        role text not null check (role in ('viewer', 'contributor', 'developer', 'admin')),
        ${versioned},
        foreign key (project, environment) references environments (project, name)
          on update cascade on delete restrict
      )`.execute(db);
    await sql`create unique index role_bindings_identity on role_bindings (project, coalesce(environment, ''), subject, role)`.execute(
      db,
    );
    await sql`create index role_bindings_subject on role_bindings (subject)`.execute(db);
    await sql`
      create table reservations (
        id text primary key,
        project text not null,
        environment text not null,
        cpu_milli numeric(40, 0) not null default 0,
        memory_milli numeric(40, 0) not null default 0,
        gpu_milli numeric(40, 0) not null default 0,
        storage_milli numeric(40, 0) not null default 0,
        executions integer not null default 0,
        actor text not null,
        created_at timestamptz not null default now(),
        foreign key (project, environment) references environments (project, name)
          on update cascade on delete restrict
      )`.execute(db);
    await sql`create index reservations_environment on reservations (project, environment)`.execute(db);
    await sql`
      create table tokens (
        id text primary key,
        name text not null,
        subject text not null,
        teams jsonb not null default '[]',
        org_admin boolean not null default false,
        token_hash text not null unique,
        expires_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz not null default now()
      )`.execute(db);
    await sql`
      create table audit (
        id bigserial primary key,
        at timestamptz not null default now(),
        actor text not null,
        action text not null,
        target_kind text not null,
        target_id text not null,
        before jsonb,
        after jsonb
      )`.execute(db);
    await sql`create index audit_target on audit (target_kind, target_id)`.execute(db);
    await sql`create index audit_actor on audit (actor)`.execute(db);
    await sql`
      create table idempotency_keys (
        actor text not null,
        key text not null,
        fingerprint text not null,
        status integer not null,
        response jsonb not null,
        created_at timestamptz not null default now(),
        primary key (actor, key)
      )`.execute(db);
  },
};

/** Values the store keeps sealed under the secrets keyring, such as the request fingerprint key. */
const sealedSettings: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table sealed_settings (
        name text primary key,
        key_id text not null,
        nonce bytea not null,
        ciphertext bytea not null,
        updated_at timestamptz not null default now()
      )`.execute(db);
  },
};

/** Which Pulumi resource manages each object, and its claim (see server/service/ownership.ts). */
const ownership: Migration = {
  async up(db: Kysely<unknown>) {
    for (const table of [
      "domains",
      "projects",
      "environments",
      "quotas",
      "resource_defaults",
      "secrets",
      "role_bindings",
    ]) {
      await sql`alter table ${sql.table(table)} add column managed_by jsonb, add column claim text`.execute(
        db,
      );
    }
  },
};

/** Teams and their members, tokens issued by Pulumi resources, and quota ceilings on projects and
 * domains (see server/service/teams.ts and ceilings.ts). */
const identitiesAndCeilings: Migration = {
  async up(db: Kysely<unknown>) {
    const versioned = sql`
      version integer not null default 1,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      managed_by jsonb,
      claim text`;
    await sql`
      create table teams (
        name text primary key,
        display_name text,
        description text,
        members_authoritative boolean not null default false,
        ${versioned}
      )`.execute(db);
    // A member goes with its team. The subject index serves the role check of every request.
    await sql`
      create table team_members (
        team text not null references teams (name) on delete cascade,
        subject text not null,
        ${versioned},
        primary key (team, subject)
      )`.execute(db);
    await sql`create index team_members_subject on team_members (subject)`.execute(db);
    await sql`alter table tokens add column managed_by jsonb, add column claim text`.execute(db);
    await sql`
      create table ceilings (
        id serial primary key,
        project text references projects (name) on delete restrict,
        domain text references domains (name) on delete restrict,
        cpu text,
        memory text,
        gpu text,
        storage text,
        max_concurrent_executions integer,
        ${versioned},
        check ((project is null) <> (domain is null))
      )`.execute(db);
    await sql`create unique index ceilings_project on ceilings (project) where project is not null`.execute(
      db,
    );
    await sql`create unique index ceilings_domain on ceilings (domain) where domain is not null`.execute(db);
  },
};

/** What the live reservations below each ceiling hold, kept by every admission and release so that
 * an admission costs the same however many reservations are live (see server/service/ceilings.ts). */
const ceilingUsage: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table ceilings
        add column used_cpu_milli numeric(40, 0) not null default 0,
        add column used_memory_milli numeric(40, 0) not null default 0,
        add column used_gpu_milli numeric(40, 0) not null default 0,
        add column used_storage_milli numeric(40, 0) not null default 0,
        add column used_executions bigint not null default 0`.execute(db);
    for (const [column, scope] of [
      ["project", sql`r.project = ceilings.project`],
      [
        "domain",
        sql`exists (select 1 from environments e where e.project = r.project and e.name = r.environment and e.domain = ceilings.domain)`,
      ],
    ] as const) {
      await sql`
        update ceilings set
          used_cpu_milli = coalesce((select sum(cpu_milli) from reservations r where ${scope}), 0),
          used_memory_milli = coalesce((select sum(memory_milli) from reservations r where ${scope}), 0),
          used_gpu_milli = coalesce((select sum(gpu_milli) from reservations r where ${scope}), 0),
          used_storage_milli = coalesce((select sum(storage_milli) from reservations r where ${scope}), 0),
          used_executions = coalesce((select sum(executions) from reservations r where ${scope}), 0)
        where ${sql.ref(column)} is not null`.execute(db);
    }
  },
};

/** When each released reservation was admitted and released, for the console's executions chart
 * (live reservations are in `reservations`). Kept for eight days: each release drops its
 * environment's older entries. */
const reservationHistory: Migration = {
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

/** What each environment's live reservations hold, kept on its row by every admission and release
 * (the row an admission locks anyway), so an admission costs the same however many are live. */
const environmentUsage: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table environments
        add column used_cpu_milli numeric(40, 0) not null default 0,
        add column used_memory_milli numeric(40, 0) not null default 0,
        add column used_gpu_milli numeric(40, 0) not null default 0,
        add column used_storage_milli numeric(40, 0) not null default 0,
        add column used_executions bigint not null default 0`.execute(db);
    await sql`
      update environments e set
        used_cpu_milli = u.cpu, used_memory_milli = u.memory, used_gpu_milli = u.gpu,
        used_storage_milli = u.storage, used_executions = u.executions
      from (
        select project, environment, sum(cpu_milli) as cpu, sum(memory_milli) as memory,
          sum(gpu_milli) as gpu, sum(storage_milli) as storage, sum(executions) as executions
        from reservations group by project, environment
      ) u
      where e.project = u.project and e.name = u.environment`.execute(db);
  },
};

/**
 * An admission in one statement (server/service/reservations.ts): the environment locked, its quota
 * and the ceilings above it read and judged, and the reservation written, all in the database, so
 * no round trip to the server happens while the environment is locked. The judgment needs the
 * limits, stored as quantity text, in milli-units: `tenancy_quantity_milli` reads them exactly as
 * model/quantity.ts parses them (test/api/admission-sql.spec.ts checks the two agree).
 */
const admissionFunction: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create function tenancy_quantity_milli(quantity text) returns numeric
      language sql immutable strict parallel safe as $$
        select m[1]::numeric * case coalesce(m[2], '')
          when 'm' then 1 when '' then 1000
          when 'k' then 1000000 when 'M' then 1000000000 when 'G' then 1000000000000
          when 'T' then 1000000000000000 when 'P' then 1000000000000000000
          when 'E' then 1000000000000000000000
          when 'Ki' then 1024000 when 'Mi' then 1048576000 when 'Gi' then 1073741824000
          when 'Ti' then 1099511627776000 when 'Pi' then 1125899906842624000
          when 'Ei' then 1152921504606846976000
        end
        from regexp_match(btrim(quantity), '^([0-9]+(?:[.][0-9]+)?|[.][0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$') as m
      $$`.execute(db);
    // As overLimits (server/service/usage.ts): a dimension not asked for is not judged, and a limit
    // that does not read as a quantity refuses.
    await sql`
      create function tenancy_fits(allowed text, used numeric, requested numeric) returns boolean
      language sql immutable parallel safe as $$
        select allowed is null or requested = 0
          or coalesce(used + requested <= tenancy_quantity_milli(allowed), false)
      $$`.execute(db);
    await sql`
      create function tenancy_fits_executions(allowed integer, used bigint, requested integer) returns boolean
      language sql immutable parallel safe as $$
        select allowed is null or requested = 0 or used + requested <= allowed
      $$`.execute(db);
    // Returns null when there is no such environment; {archived} when its project is archived; else
    // whether it admitted the reservation (its audit entry's `after`, which an Idempotency-Key given
    // in p_key remembers as the answer), with the quota and the environment's totals with the
    // reservation added (admitted or not), for a refusal's message. A ceiling's refusal is an error
    // (SQLSTATE TY001) whose detail holds the ceilings with the reservation added.
    await sql`
      create function tenancy_admit(
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
      $$`.execute(db);
  },
};

const quotaWriteFunction: Migration = {
  async up(db: Kysely<unknown>) {
    // As iso() (server/service/rows.ts) writes a timestamp.
    await sql`
      create function tenancy_iso(at timestamptz) returns text
      language sql stable strict parallel safe as $$
        select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
      $$`.execute(db);
    // A quota as the API shows it (toQuota, server/service/quotas.ts), for its audit entries.
    await sql`
      create function tenancy_quota_json(q quotas) returns jsonb
      language sql stable parallel safe as $$
        select jsonb_strip_nulls(jsonb_build_object(
            'project', q.project, 'environment', q.environment,
            'cpu', q.cpu, 'memory', q.memory, 'gpu', q.gpu, 'storage', q.storage,
            'maxConcurrentExecutions', q.max_concurrent_executions, 'version', q.version,
            'createdAt', tenancy_iso(q.created_at), 'updatedAt', tenancy_iso(q.updated_at)))
          || jsonb_build_object('managedBy', case when q.managed_by is not null then
              coalesce((select jsonb_object_agg(m.key, m.value) from jsonb_each(q.managed_by) m
                where m.key in ('stack', 'urn', 'deletedWith')), '{}'::jsonb) end)
      $$`.execute(db);
    // A quota's PUT in one statement. Returns null when there is no such environment. Refused by
    // its claim, its version (p_expected: If-Match, null when none came) or the defaults that reach
    // the environment, it writes nothing and returns {written: false} with the locked row and those
    // defaults, which the server's own checks turn into the error. Else it writes the row with its
    // ownership (the writer's when it adopts the quota or manages it, else as it was) and its audit
    // entry, and returns {written: true} with the row before and after. Ceilings above that the
    // quotas below no longer fit raise SQLSTATE TY002, the ceilings and those sums in the detail.
    await sql`
      create function tenancy_put_quota(
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
        v_defaults jsonb;
        v_allowed boolean;
        v_ceilings jsonb;
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
        select coalesce(jsonb_agg(jsonb_build_object('domain', d.domain, 'project', d.project,
            'environment', d.environment, 'requests', d.requests, 'limits', d.limits)), '[]'::jsonb)
          into v_defaults
          from resource_defaults d
          where d.domain = v_domain
            or (d.project = p_project and (d.environment is null or d.environment = p_environment));
        -- As checkReplace (server/service/usage.ts): a replacement holds the claim and names the
        -- version it replaces; a creation names none.
        v_allowed := case when v_exists
          then (p_adopt or p_claim is null or v_before.claim is not distinct from p_claim)
            and p_expected is not distinct from v_before.version
          else p_expected is null end;
        -- As checkDefaultsWithinQuota (server/service/defaults-merge.ts): the default that applies on
        -- each dimension (the environment's over the project's over the domain's) is within the limit.
        if v_allowed and v_defaults <> '[]'::jsonb then
          select v_allowed and coalesce(bool_and(l.allowed is null
              or coalesce(tenancy_quantity_milli(applied.value) <= tenancy_quantity_milli(l.allowed), false)), true)
            into v_allowed
            from (values ('cpu', p_cpu), ('memory', p_memory), ('gpu', p_gpu), ('storage', p_storage)) l(kind, allowed)
              cross join (values ('requests'), ('limits')) part(name)
              cross join lateral (
                select d->part.name->>l.kind as value
                  from jsonb_array_elements(v_defaults) d
                  where d->part.name->>l.kind is not null
                  order by case when d->>'domain' is not null then 0 when d->>'environment' is null then 1 else 2 end desc
                  limit 1
              ) applied;
        end if;
        if not v_allowed then
          return jsonb_build_object('written', false,
            'before', case when v_exists then to_jsonb(v_before) end, 'defaults', v_defaults);
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
          select jsonb_agg(jsonb_build_object(
                'project', c.project, 'domain', c.domain,
                'cpu', c.cpu, 'memory', c.memory, 'gpu', c.gpu, 'storage', c.storage,
                'max_concurrent_executions', c.max_concurrent_executions,
                'allocated', jsonb_build_object('cpu', trunc(a.cpu)::text, 'memory', trunc(a.memory)::text,
                  'gpu', trunc(a.gpu)::text, 'storage', trunc(a.storage)::text, 'executions', a.executions)
              ) order by c.project is null),
              bool_and(tenancy_fits(c.cpu, 0, a.cpu) and tenancy_fits(c.memory, 0, a.memory)
                and tenancy_fits(c.gpu, 0, a.gpu) and tenancy_fits(c.storage, 0, a.storage)
                and (c.max_concurrent_executions is null or a.executions <= c.max_concurrent_executions))
            into v_ceilings, v_allowed
            from ceilings c
              cross join lateral (
                select coalesce(sum(tenancy_quantity_milli(q.cpu)), 0) as cpu,
                    coalesce(sum(tenancy_quantity_milli(q.memory)), 0) as memory,
                    coalesce(sum(tenancy_quantity_milli(q.gpu)), 0) as gpu,
                    coalesce(sum(tenancy_quantity_milli(q.storage)), 0) as storage,
                    coalesce(sum(q.max_concurrent_executions), 0) as executions
                  from quotas q
                    join environments e on e.project = q.project and e.name = q.environment
                  where e.project = c.project or e.domain = c.domain
              ) a
            where c.project = p_project or c.domain = v_domain;
          if not v_allowed then
            raise exception 'a ceiling above environment %/% does not hold its quota', p_project, p_environment
              using errcode = 'TY002', detail = v_ceilings::text;
          end if;
        end if;
        return jsonb_build_object('written', true,
          'before', case when v_exists then to_jsonb(v_before) end, 'after', to_jsonb(v_after));
      end
      $$`.execute(db);
  },
};

/**
 * The helpers of tenancy_admit and tenancy_put_quota, in PL/pgSQL. As SQL functions the planner
 * could not inline them (a FROM clause, a subquery), and such a function is parsed and planned
 * again in every statement that calls it: a quarter of an admission's database time, and two fifths
 * of a quota write's, went there (pgbench, same machine). PL/pgSQL keeps their plans for the session. Same results
 * (test/api/admission-sql.spec.ts and test/api/quota-sql.spec.ts check them against the model).
 */
const cachedHelpers: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create or replace function tenancy_quantity_milli(quantity text) returns numeric
      language plpgsql immutable strict parallel safe as $$
      declare
        m text[];
      begin
        m := regexp_match(btrim(quantity), '^([0-9]+(?:[.][0-9]+)?|[.][0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$');
        return m[1]::numeric * case coalesce(m[2], '')
          when 'm' then 1 when '' then 1000
          when 'k' then 1000000 when 'M' then 1000000000 when 'G' then 1000000000000
          when 'T' then 1000000000000000 when 'P' then 1000000000000000000
          when 'E' then 1000000000000000000000
          when 'Ki' then 1024000 when 'Mi' then 1048576000 when 'Gi' then 1073741824000
          when 'Ti' then 1099511627776000 when 'Pi' then 1125899906842624000
          when 'Ei' then 1152921504606846976000
        end;
      end
      $$`.execute(db);
    await sql`
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
      $$`.execute(db);
  },
};

/**
 * Group admission (server/service/reservations.ts): the admissions into one environment that
 * arrive at a server while its previous statement is out go together in one statement, judged one
 * after another under one lock. On a contended environment, each admission used to wait for the
 * lock's hand-off from the one before it (a commit, a wakeup); a group pays for that once.
 * `p_group` holds the admissions in the order they arrived, each with its audit entry (a
 * creation's, with no `before`) and its Idempotency-Key (or nulls). Returns null when there is no
 * such environment and {archived} when its project is archived; else, for each admission in order:
 * {admitted: true}; {admitted: false} with the quota and the environment's totals with the
 * reservation added, or with the ceilings above as the reservation would raise them, whichever
 * refused it; or {keyTaken: true} when a
 * concurrent request holds its key (the server answers it with that request's answer). The
 * admitted ones are written, audited and counted in the totals of the environment and the ceilings;
 * a refused one writes nothing and does not count for those after it. It keeps tenancy_admit's
 * judgment: a group of one is that admission. tenancy_admit stays for the servers of earlier
 * versions during a rolling upgrade; both lock the environment first and then its ceilings, so
 * their admissions run side by side.
 */
const groupAdmission: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create function tenancy_admit_group(p_project text, p_environment text, p_group jsonb)
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
            v_refusal := jsonb_build_object('admitted', false, 'quota', v_quota, 'totals', jsonb_build_object(
              'cpu', (v_env.cpu + v_cpu)::text, 'memory', (v_env.memory + v_memory)::text,
              'gpu', (v_env.gpu + v_gpu)::text, 'storage', (v_env.storage + v_storage)::text,
              'executions', (v_env.executions + v_executions)::text));
          end if;
          if v_refusal is null then
            for j in 1 .. coalesce(array_length(v_ceilings, 1), 0) loop
              if not (tenancy_fits((v_ceilings[j]).cpu, (v_ceilings[j]).used_cpu_milli, v_cpu)
                  and tenancy_fits((v_ceilings[j]).memory, (v_ceilings[j]).used_memory_milli, v_memory)
                  and tenancy_fits((v_ceilings[j]).gpu, (v_ceilings[j]).used_gpu_milli, v_gpu)
                  and tenancy_fits((v_ceilings[j]).storage, (v_ceilings[j]).used_storage_milli, v_storage)
                  and tenancy_fits_executions(
                    (v_ceilings[j]).max_concurrent_executions, (v_ceilings[j]).used_executions, v_executions)) then
                select jsonb_build_object('admitted', false, 'ceilings', jsonb_agg(jsonb_build_object(
                    'project', c.project, 'domain', c.domain,
                    'cpu', c.cpu, 'memory', c.memory, 'gpu', c.gpu, 'storage', c.storage,
                    'max_concurrent_executions', c.max_concurrent_executions,
                    'used_cpu_milli', (c.used_cpu_milli + v_cpu)::text,
                    'used_memory_milli', (c.used_memory_milli + v_memory)::text,
                    'used_gpu_milli', (c.used_gpu_milli + v_gpu)::text,
                    'used_storage_milli', (c.used_storage_milli + v_storage)::text,
                    'used_executions', (c.used_executions + v_executions)::text
                  ) order by c.project is null))
                  into v_refusal
                  from unnest(v_ceilings) c;
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
      $$`.execute(db);
  },
};

export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_sealed_settings": sealedSettings,
  "0003_ownership": ownership,
  "0004_identities_and_ceilings": identitiesAndCeilings,
  "0005_ceiling_usage": ceilingUsage,
  "0006_reservation_history": reservationHistory,
  "0007_environment_usage": environmentUsage,
  "0008_admission_function": admissionFunction,
  "0009_quota_write_function": quotaWriteFunction,
  "0010_cached_helpers": cachedHelpers,
  "0011_group_admission": groupAdmission,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
