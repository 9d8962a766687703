// Creates accept an Idempotency-Key: a retried create (say, after a timeout whose request did land)
// returns the first result instead of a conflict or a duplicate. The key is stored in the create's
// own transaction, so it exists exactly when the object does, and is remembered for 24 hours (by
// the database's clock): after that the same key is a new request.
import { sql, type Kysely } from "kysely";
import { TenancyError, type ErrorTarget } from "../../model";
import type { Database } from "../store/schema";
import type { Actor, Tx } from "./context";
import type { Keyring } from "./crypto";
import { transaction } from "./transaction";

export interface IdempotentRequest {
  key: string | undefined;
  /** What identifies the request: the operation and its parsed body. */
  operation: string;
  body: unknown;
}

/** Keys older than this are forgotten. */
const keyLifetime = sql<Date>`now() - interval '24 hours'`;

function fingerprintOf(keyring: Keyring, request: IdempotentRequest): string {
  return keyring.mac(`${request.operation}\0${JSON.stringify(request.body ?? null)}`);
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
  if (key.length === 0 || key.length > 200) {
    throw new TenancyError("validation_failed", "Idempotency-Key must be 1-200 characters", {
      errors: [{ path: "Idempotency-Key", message: "1-200 characters" }],
    });
  }
  const fingerprint = fingerprintOf(keyring, request);
  const replay = async (): Promise<{ found: true; value: T } | { found: false }> => {
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
  };
  const earlier = await replay();
  if (earlier.found) return earlier.value;
  try {
    return await transaction(db, target, async (tx) => {
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
    });
  } catch (err) {
    // A concurrent request with the same key may have won the race: answer with its result.
    const raced = await replay();
    if (raced.found) return raced.value;
    throw err;
  }
}
