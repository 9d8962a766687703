// Creates accept an Idempotency-Key: a retried create (say, after a timeout whose request did land)
// returns the first result instead of a conflict or a duplicate. The key is stored in the create's
// own transaction, so it exists exactly when the object does, and is remembered for 24 hours (by
// the database's clock): after that the same key is a new request.
import { sql, type Kysely } from "kysely";
import { TenancyError, type ErrorTarget } from "../../model";
import type { Database } from "../store/schema";
import type { Actor, Queryable, Tx } from "./context";
import type { Keyring } from "./crypto";
import { singleStatement, transaction } from "./transaction";

export interface IdempotentRequest {
  key: string | undefined;
  /** What identifies the request: the operation and its parsed body. */
  operation: string;
  body: unknown;
}

/** Keys older than this are forgotten. */
const keyLifetimeText = "24 hours";
const keyLifetime = sql<Date>`now() - ${sql.lit(keyLifetimeText)}::interval`;

function fingerprintOf(keyring: Keyring, request: IdempotentRequest): string {
  return keyring.mac(`${request.operation}\0${JSON.stringify(request.body ?? null)}`);
}

function checkKey(key: string) {
  if (key.length === 0 || key.length > 200) {
    throw new TenancyError("validation_failed", "Idempotency-Key must be 1-200 characters", {
      errors: [{ path: "Idempotency-Key", message: "1-200 characters" }],
    });
  }
}

/** The answer stored under the actor's key, if any; a conflict when the key was used for another
 * request. */
async function replay<T>(
  db: Kysely<Database>,
  actor: Actor,
  key: string,
  fingerprint: string,
  target: ErrorTarget,
): Promise<{ found: true; value: T } | { found: false }> {
  const row = await db
    .selectFrom("idempotency_keys")
    .select(["fingerprint", "response"])
    .where("actor", "=", actor.tokenId)
    .where("key", "=", key)
    .where("created_at", ">", keyLifetime)
    .executeTakeFirst();
  if (!row) return { found: false };
  if (row.fingerprint !== fingerprint) {
    throw new TenancyError(
      "conflict",
      `Idempotency-Key ${key} was already used for a different request; use a new key for a new request`,
      { target },
    );
  }
  return { found: true, value: row.response as T };
}

/** Answers a request whose key was stored already with the stored answer; else runs `create`, and
 * when it fails because a concurrent request with the same key won the race, answers with that
 * request's answer. */
async function onceByKey<T>(
  db: Kysely<Database>,
  actor: Actor,
  key: string,
  fingerprint: string,
  target: ErrorTarget,
  create: () => Promise<T>,
): Promise<T> {
  checkKey(key);
  const earlier = await replay<T>(db, actor, key, fingerprint, target);
  if (earlier.found) return earlier.value;
  try {
    return await create();
  } catch (err) {
    const raced = await replay<T>(db, actor, key, fingerprint, target);
    if (raced.found) return raced.value;
    throw err;
  }
}

export async function createOnce<T>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Actor,
  request: IdempotentRequest,
  target: ErrorTarget,
  create: (tx: Tx) => Promise<T>,
): Promise<T> {
  const key = request.key;
  if (key === undefined) return transaction(db, target, create);
  const fingerprint = fingerprintOf(keyring, request);
  return onceByKey(db, actor, key, fingerprint, target, () =>
    transaction(db, target, async (tx) => {
      const result = await create(tx);
      await tx
        .deleteFrom("idempotency_keys")
        .where("actor", "=", actor.tokenId)
        .where("key", "=", key)
        .where("created_at", "<=", keyLifetime)
        .execute();
      await tx
        .insertInto("idempotency_keys")
        .values({ actor: actor.tokenId, key, fingerprint, status: 201, response: JSON.stringify(result) })
        .execute();
      return result;
    }),
  );
}

/** What a create made of one statement stores its Idempotency-Key with: `response` is its answer
 * (status 201), and keys older than `lifetime` under the same name are dropped first. */
export interface KeyToStore {
  actor: string;
  key: string;
  fingerprint: string;
  lifetime: string;
}

/**
 * createOnce for a create whose only write is one statement (an admission): that statement stores
 * the key itself, from `toStore` (null without a key), so the key still exists exactly when the
 * object does and the create stays one transaction of one statement.
 */
export async function createOnceInOneStatement<T>(
  db: Kysely<Database>,
  keyring: Keyring,
  actor: Actor,
  request: IdempotentRequest,
  target: ErrorTarget,
  create: (q: Queryable, toStore: KeyToStore | null) => Promise<T>,
): Promise<T> {
  const key = request.key;
  if (key === undefined) return singleStatement(db, target, (q) => create(q, null));
  const fingerprint = fingerprintOf(keyring, request);
  const toStore = { actor: actor.tokenId, key, fingerprint, lifetime: keyLifetimeText };
  return onceByKey(db, actor, key, fingerprint, target, () =>
    singleStatement(db, target, (q) => create(q, toStore)),
  );
}
