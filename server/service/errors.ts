// The errors every kind raises the same way: missing objects and versions that moved on.
import { TenancyError } from "../../model";
import type { ExpectedVersion } from "./context";

export function notFound(kind: string, id: string): TenancyError {
  return new TenancyError("not_found", `${kind} ${id} does not exist`, { target: { kind, id } });
}

/** A change or delete that did not say which version it saw. */
export function ifMatchRequired(kind: string, id: string): TenancyError {
  return new TenancyError(
    "validation_failed",
    `changing ${kind} ${id} needs If-Match with the version you read`,
    {
      errors: [{ path: "If-Match", message: "required: the object's current version" }],
      target: { kind, id },
    },
  );
}

/** Writes that change or delete an object must say which version they saw. */
export function requireExpectedVersion(expected: ExpectedVersion, kind: string, id: string): number {
  if (expected === undefined) throw ifMatchRequired(kind, id);
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
