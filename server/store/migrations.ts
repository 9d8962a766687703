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

export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_sealed_settings": sealedSettings,
  "0003_ownership": ownership,
  "0004_identities_and_ceilings": identitiesAndCeilings,
  "0005_ceiling_usage": ceilingUsage,
  "0006_reservation_history": reservationHistory,
  "0007_environment_usage": environmentUsage,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
