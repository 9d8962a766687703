// Helpers every kind's module uses: transactions that turn database errors into model errors, the
// audit trail, and version checks.
import type { Kysely } from "kysely";
import { TenancyError, type ErrorTarget } from "../../model";
import type { Database } from "../store/schema";
import type { Actor, ExpectedVersion, Tx } from "./context";

/** Runs `body` in one transaction; constraint violations become conflicts naming `target`. */
export async function transaction<T>(
  db: Kysely<Database>,
  target: ErrorTarget,
  body: (tx: Tx) => Promise<T>,
) {
  try {
    return await db.transaction().execute(body);
  } catch (err) {
    throw fromDatabaseError(err, target);
  }
}

function fromDatabaseError(err: unknown, target: ErrorTarget): unknown {
  if (TenancyError.isInstance(err)) return err;
  const code = (err as { code?: unknown }).code;
  const detail = String((err as { detail?: unknown }).detail ?? (err as Error).message ?? err);
  switch (code) {
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

export function notFound(kind: string, id: string): TenancyError {
  return new TenancyError("not_found", `${kind} ${id} does not exist`, { target: { kind, id } });
}

/** Writes that change or delete an object must say which version they saw. */
export function requireExpectedVersion(expected: ExpectedVersion, kind: string, id: string): number {
  if (expected === undefined) {
    throw new TenancyError(
      "validation_failed",
      `changing ${kind} ${id} needs If-Match with the version you read`,
      {
        errors: [{ path: "If-Match", message: "required: the object's current version" }],
        target: { kind, id },
      },
    );
  }
  return expected;
}

export function versionMismatch(kind: string, id: string, expected: number, actual: number): TenancyError {
  return new TenancyError(
    "version_mismatch",
    `${kind} ${id} is at version ${actual}, not ${expected}: it changed since you read it; read it again (pulumi refresh) and retry`,
    { target: { kind, id } },
  );
}

/** Checks the version of a row read FOR UPDATE; throws version_mismatch when it moved on. */
export function checkVersion(kind: string, id: string, expected: number, row: { version: number }) {
  if (row.version !== expected) throw versionMismatch(kind, id, expected, row.version);
}

/** Appends one entry to the audit log, inside the mutation's transaction. */
export async function audit(
  tx: Tx,
  actor: Actor,
  at: Date,
  action: string,
  target: ErrorTarget,
  before: unknown,
  after: unknown,
) {
  await tx
    .insertInto("audit")
    .values({
      at,
      actor: actor.name,
      action,
      target_kind: target.kind,
      target_id: target.id,
      before: before === undefined ? null : JSON.stringify(before),
      after: after === undefined ? null : JSON.stringify(after),
    })
    .execute();
}

export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** Drops null columns so optional model fields are absent rather than null. */
export function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

/** A jsonb column's value: SQL NULL for undefined and null. */
export function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
