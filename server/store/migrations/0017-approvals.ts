import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Approvals: a guarded environment's writes by non-approvers wait as change requests; role
 * bindings may expire; access requests become expiring bindings once approved. The stored write of
 * a change request is sealed like a secret value (it may carry one); its mac finds a pending
 * duplicate without opening it. */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`alter table environments add column approval jsonb`.execute(db);
    await sql`alter table role_bindings add column expires_at timestamptz`.execute(db);
    await sql`
      create table change_requests (
        id text primary key,
        project text not null,
        environment text not null,
        author text not null,
        author_actor jsonb not null,
        operation text not null,
        target_kind text not null,
        target_id text not null,
        write_key_id text not null,
        write_nonce bytea not null,
        write_ciphertext bytea not null,
        write_mac text not null,
        diff jsonb not null,
        base_version integer,
        status text not null check (status in ('pending','applied','rejected','stale','expired','cancelled')),
        comment text,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        decided_at timestamptz
      )`.execute(db);
    await sql`create index change_requests_project on change_requests (project, environment, status)`.execute(
      db,
    );
    await sql`create index change_requests_pending_write on change_requests (write_mac) where status = 'pending'`.execute(
      db,
    );
    await sql`
      create table access_requests (
        id text primary key,
        project text not null,
        environment text,
        requester text not null,
        requester_name text not null,
        role text not null,
        duration_seconds integer not null check (duration_seconds > 0),
        reason text not null,
        status text not null check (status in ('pending','approved','rejected','expired','cancelled')),
        binding_id text,
        binding_expires_at timestamptz,
        created_at timestamptz not null,
        expires_at timestamptz not null,
        decided_at timestamptz
      )`.execute(db);
    await sql`create index access_requests_project on access_requests (project, status)`.execute(db);
    await sql`
      create table request_approvals (
        request_id text not null,
        approver text not null,
        decision text not null check (decision in ('approve','reject')),
        comment text,
        at timestamptz not null,
        primary key (request_id, approver)
      )`.execute(db);
  },
};
