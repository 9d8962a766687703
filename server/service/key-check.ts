// At start, the keyring is checked against the store before anything is served: every key that
// sealed a secret must be on the ring (else the start is refused, naming the key id it needs), and
// the store's request fingerprint key is opened, or made on first start. That key is random, kept
// sealed in the store, and re-sealed under the current key after a rotation, so idempotency
// fingerprints do not change when the secrets key does.
import { randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema";
import type { Keyring } from "./crypto";

const fingerprintSetting = "request-fingerprint-key";

function missingKey(keyId: string, keyring: Keyring, what: string): Error {
  return new Error(
    `the store's ${what} were sealed with key ${keyId}, which is not on the keyring (current key ` +
      `${keyring.currentKeyId}): set TENANCY_SECRET_KEY to that key, or list it in TENANCY_SECRET_KEY_PREVIOUS`,
  );
}

/** Checks `keyring` against the store and returns it with the store's fingerprint key. */
export async function openKeys(db: Kysely<Database>, keyring: Keyring): Promise<Keyring> {
  // One secret per key id is opened: a key id is derived from the key, but only decrypting proves it.
  const samples = await db
    .selectFrom("secrets")
    .select(["id", "key_id", "nonce", "ciphertext"])
    .distinctOn("key_id")
    .where("key_id", "is not", null)
    .orderBy("key_id")
    .execute();
  for (const row of samples) {
    if (!keyring.has(row.key_id!)) throw missingKey(row.key_id!, keyring, "secret values");
    keyring.open({ keyId: row.key_id!, nonce: row.nonce!, ciphertext: row.ciphertext! }, row.id);
  }

  const stored = await db
    .selectFrom("sealed_settings")
    .selectAll()
    .where("name", "=", fingerprintSetting)
    .executeTakeFirst();
  if (!stored) {
    const sealed = keyring.seal(randomBytes(32).toString("base64"), fingerprintSetting);
    // Two servers starting at once on one database: the first insert wins, both read it back.
    await db
      .insertInto("sealed_settings")
      .values({
        name: fingerprintSetting,
        key_id: sealed.keyId,
        nonce: sealed.nonce,
        ciphertext: sealed.ciphertext,
      })
      .onConflict((oc) => oc.column("name").doNothing())
      .execute();
    return openKeys(db, keyring);
  }
  if (!keyring.has(stored.key_id)) throw missingKey(stored.key_id, keyring, "settings");
  const key = Buffer.from(
    keyring.open(
      { keyId: stored.key_id, nonce: stored.nonce, ciphertext: stored.ciphertext },
      fingerprintSetting,
    ),
    "base64",
  );
  if (stored.key_id !== keyring.currentKeyId) {
    // Re-sealed under the current key, so the previous key can be retired once no secret needs it.
    const resealed = keyring.seal(key.toString("base64"), fingerprintSetting);
    await db
      .updateTable("sealed_settings")
      .set({
        key_id: resealed.keyId,
        nonce: resealed.nonce,
        ciphertext: resealed.ciphertext,
        updated_at: new Date(),
      })
      .where("name", "=", fingerprintSetting)
      .where("key_id", "=", stored.key_id)
      .execute();
  }
  return keyring.withFingerprintKey(key);
}
