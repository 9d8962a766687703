import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** Values the store keeps sealed under the secrets keyring, such as the request fingerprint key. */
export const migration: Migration = {
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
