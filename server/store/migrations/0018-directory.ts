import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** The directory (SCIM 2.0): the users an identity provider provisions, the groups it keeps as
 * teams, and directory tokens. A userName is unique regardless of case (RFC 7643 caseExact false). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create table directory_users (
        id text primary key,
        user_name text not null,
        user_name_key text not null unique,
        external_id text,
        display_name text,
        active boolean not null,
        attributes jsonb not null,
        version integer not null default 1,
        created_at timestamptz not null,
        updated_at timestamptz not null
      )`.execute(db);
    await sql`create index directory_users_external_id on directory_users (external_id)`.execute(db);
    await sql`alter table teams add column scim_id text unique`.execute(db);
    await sql`alter table teams add column external_id text`.execute(db);
    await sql`alter table tokens add column scim boolean not null default false`.execute(db);
  },
};
