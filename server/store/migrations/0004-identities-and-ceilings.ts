import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Teams and their members, tokens issued by Pulumi resources, and quota ceilings on projects and
 * domains (see server/service/teams.ts and ceilings.ts). */
export const migration: Migration = {
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
