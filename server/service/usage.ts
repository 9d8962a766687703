// What an environment's live reservations hold, and what its quota allows, in exact units.
import { sql, type Selectable } from "kysely";
import {
  formatQuantity,
  parseQuantity,
  resourceKinds,
  type QuotaSpec,
  type QuotaUsage,
  type ResourceKind,
} from "../../model";
import type { ManagedByColumn, QuotaTable } from "../store/schema";
import type { ExpectedVersion, Queryable } from "./context";
import { checkVersion, requireExpectedVersion, versionMismatch } from "./errors";
import { checkClaim } from "./ownership";

export function quotaLimit(quota: Selectable<QuotaTable>, kind: ResourceKind): bigint | undefined {
  const value = quota[kind];
  return value === null ? undefined : parseQuantity(value);
}

/** The limit columns a quota and a ceiling share. */
type LimitRow = Pick<Selectable<QuotaTable>, ResourceKind | "max_concurrent_executions">;

/**
 * What a reservation of `requested` (milli-units) and `executions` would take past `limits`, given
 * what live reservations already hold: one line per dimension over its limit, none when it fits.
 * Only the dimensions the reservation asks for are judged, so usage already past a lowered limit
 * does not block a reservation that adds nothing there.
 */
export function overLimits(
  limits: LimitRow,
  usage: QuotaUsage,
  requested: Record<ResourceKind, bigint>,
  executions: number,
): string[] {
  const over: string[] = [];
  for (const k of resourceKinds) {
    const limit = limits[k];
    if (
      limit !== null &&
      requested[k] > 0n &&
      parseQuantity(usage[k]) + requested[k] > parseQuantity(limit)
    ) {
      over.push(`${k}: ${usage[k]} in use + ${formatQuantity(requested[k])} requested > ${limit}`);
    }
  }
  const maxExecutions = limits.max_concurrent_executions;
  if (maxExecutions !== null && executions > 0 && usage.executions + executions > maxExecutions) {
    over.push(`executions: ${usage.executions} running + ${executions} requested > ${maxExecutions}`);
  }
  return over;
}

/** The sums over an environment's reservations that make its usage, as exact decimal text
 * (also selected inside the effective configuration's single statement). */
export const usageSums = [
  sql<string>`coalesce(sum(cpu_milli), 0)::text`.as("cpu"),
  sql<string>`coalesce(sum(memory_milli), 0)::text`.as("memory"),
  sql<string>`coalesce(sum(gpu_milli), 0)::text`.as("gpu"),
  sql<string>`coalesce(sum(storage_milli), 0)::text`.as("storage"),
  sql<string>`coalesce(sum(executions), 0)::text`.as("executions"),
];

/** What the live reservations of an environment hold. */
export async function usageOf(q: Queryable, project: string, environment: string): Promise<QuotaUsage> {
  const row = await q
    .selectFrom("reservations")
    .select(usageSums)
    .where("project", "=", project)
    .where("environment", "=", environment)
    .executeTakeFirstOrThrow();
  return toUsage(row);
}

/** Usage from the sums of reservations' exact amounts (milli-units, as decimal strings). */
export function toUsage(sums: Record<ResourceKind | "executions", string | number>): QuotaUsage {
  return {
    cpu: formatQuantity(BigInt(sums.cpu)),
    memory: formatQuantity(BigInt(sums.memory)),
    gpu: formatQuantity(BigInt(sums.gpu)),
    storage: formatQuantity(BigInt(sums.storage)),
    executions: Number(sums.executions),
  };
}

/** The limit columns of a quota or a ceiling; an omitted limit is unlimited (null). */
export function limitColumns(spec: QuotaSpec) {
  return {
    cpu: spec.cpu ?? null,
    memory: spec.memory ?? null,
    gpu: spec.gpu ?? null,
    storage: spec.storage ?? null,
    max_concurrent_executions: spec.maxConcurrentExecutions ?? null,
  };
}

/** A PUT of a singleton limit: replacing one needs its claim and If-Match; creating one needs no
 * If-Match (one given means the caller expected an object that is not there). */
export function checkReplace(
  kind: string,
  id: string,
  before: { version: number; claim: string | null; managed_by: ManagedByColumn | null } | undefined,
  expected: ExpectedVersion,
) {
  if (before) {
    checkClaim(kind, id, before);
    checkVersion(kind, id, requireExpectedVersion(expected, kind, id), before);
  } else if (expected !== undefined) throw versionMismatch(kind, id, expected, 0);
}
