import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

export const migration: Migration = {
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
