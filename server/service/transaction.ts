// Writes: one transaction per operation, database errors turned into model errors naming the
// object, and the audit entry appended inside the same transaction.
import type { Kysely } from "kysely";
import { TenancyError, type ErrorTarget } from "../../model";
import type { Database } from "../store/schema";
import type { Actor, Queryable, Tx } from "./context";
import { compiledOnce } from "./compiled-once";
import { refusalError, refusedAndUndone } from "./refusals";
import { writeContext } from "./write-context";

/** Thrown at the end of a dry run's transaction to roll it back, carrying what it would have answered. */
class DryRunRollback<T> {
  constructor(readonly result: T) {}
}

/**
 * Runs `body` in one transaction; constraint violations become conflicts naming `target`. In a dry
 * run (`?dryRun=true`) every rule, role check and constraint runs as usual, and the transaction is
 * rolled back: nothing is stored, audited or remembered, and the answer is what the write would be.
 */
export async function transaction<T>(
  db: Kysely<Database>,
  target: ErrorTarget,
  body: (tx: Tx) => Promise<T>,
): Promise<T> {
  const { dryRun, approving } = writeContext();
  return againWhenAborted(target, async () => {
    try {
      return await db.transaction().execute(async (tx) => {
        if (approving) await approving(tx);
        const result = await body(tx);
        if (dryRun) throw new DryRunRollback(result);
        return result;
      });
    } catch (err) {
      if (err instanceof DryRunRollback) return err.result as T;
      throw err;
    }
  });
}

/**
 * Runs `body`, whose only write is one statement (a transaction of its own), with the errors of
 * transaction(). A dry run goes through transaction(), which rolls the statement back, and so does
 * an approved change request, whose bookkeeping joins the statement's transaction.
 */
export async function singleStatement<T>(
  db: Kysely<Database>,
  target: ErrorTarget,
  body: (q: Queryable) => Promise<T>,
): Promise<T> {
  const { dryRun, approving } = writeContext();
  if (dryRun || approving) return transaction(db, target, body);
  return againWhenAborted(target, () => body(db));
}

/** SQLSTATEs of a transaction that PostgreSQL ended so that others could go on (a deadlock's
 * victim, a serialization failure): it changed nothing, and the same write may run again. */
const abortedForOthers = new Set(["40P01", "40001"]);
const attemptsWhenAborted = 3;

/** Runs `write` again when PostgreSQL aborted it for the sake of concurrent writes, up to three
 * times in all, then answers conflict; its other errors become model errors naming `target`. */
async function againWhenAborted<T>(target: ErrorTarget, write: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (!abortedForOthers.has((err as { code?: unknown }).code as string))
        throw fromDatabaseError(err, target);
      if (attempt < attemptsWhenAborted) continue;
      throw new TenancyError(
        "conflict",
        `${target.kind} ${target.id}: concurrent writes to the same objects aborted this one ${attemptsWhenAborted} times; retry`,
        { target, cause: err },
      );
    }
  }
}

function fromDatabaseError(err: unknown, target: ErrorTarget): unknown {
  if (TenancyError.isInstance(err)) return err;
  const code = (err as { code?: unknown }).code;
  const detail = String((err as { detail?: unknown }).detail ?? (err as Error).message ?? err);
  switch (code) {
    case refusedAndUndone:
      return refusalError(target, JSON.parse(detail));
    case "23505":
      return new TenancyError("conflict", `${target.kind} ${target.id} already exists`, {
        target,
        cause: err,
      });
    case "23503":
      return new TenancyError("conflict", `${target.kind} ${target.id} is still referenced: ${detail}`, {
        target,
        cause: err,
      });
    case "23514":
      return new TenancyError("validation_failed", `${target.kind} ${target.id} breaks a rule: ${detail}`, {
        target,
        cause: err,
      });
    default:
      return err;
  }
}

/** The audit log's row for one mutation: inserted by audit(), or inside a mutation's own statement. */
export function auditEntry(
  actor: Actor,
  at: Date,
  action: string,
  target: ErrorTarget,
  before: unknown,
  after: unknown,
) {
  return {
    at,
    actor: actor.name,
    action,
    target_kind: target.kind,
    target_id: target.id,
    before: before === undefined ? null : JSON.stringify(before),
    after: after === undefined ? null : JSON.stringify(after),
  };
}

export type AuditRow = ReturnType<typeof auditEntry>;

/** An audit row as arguments of a statement compiled once (compiledOnce), in auditValues' order. */
export function auditArgs(row: AuditRow) {
  return [row.at, row.actor, row.action, row.target_kind, row.target_id, row.before, row.after] as const;
}

/** The values of an audit row inserted by a statement compiled once, from its auditArgs. */
export function auditValues(
  ...[at, actor, action, target_kind, target_id, before, after]: ReturnType<typeof auditArgs>
) {
  return { at, actor, action, target_kind, target_id, before, after };
}

const insertAudit = compiledOnce((q, ...entry: ReturnType<typeof auditArgs>) =>
  q.insertInto("audit").values(auditValues(...entry)),
);

/** Appends one entry to the audit log, inside the mutation's transaction. */
export async function audit(tx: Tx, ...entry: Parameters<typeof auditEntry>) {
  await insertAudit(tx, ...auditArgs(auditEntry(...entry)));
}
