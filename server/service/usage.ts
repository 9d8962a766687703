// What an environment's live reservations hold, and what its quota allows, in exact units.
import { sql } from "kysely";
import { formatQuantity, type QuotaSpec, type QuotaUsage, type ResourceKind } from "../../model";
import type { ManagedByColumn } from "../store/schema";
import type { ExpectedVersion, Queryable } from "./context";
import { checkVersion, requireExpectedVersion, versionMismatch } from "./errors";
import { checkClaim } from "./ownership";

/** An environment's usage from the totals its row keeps, as exact decimal text (also selected
 * inside the effective configuration's and the console's statements); `alias` names the
 * environments table in the query. */
export function usageTotals(alias: string) {
  const total = (column: string, as: ResourceKind | "executions") =>
    sql<string>`${sql.ref(`${alias}.${column}`)}::text`.as(as);
  return [
    total("used_cpu_milli", "cpu"),
    total("used_memory_milli", "memory"),
    total("used_gpu_milli", "gpu"),
    total("used_storage_milli", "storage"),
    total("used_executions", "executions"),
  ];
}

/** What the live reservations of an environment hold. */
export async function usageOf(q: Queryable, project: string, environment: string): Promise<QuotaUsage> {
  const row = await q
    .selectFrom("environments as e")
    .select(usageTotals("e"))
    .where("e.project", "=", project)
    .where("e.name", "=", environment)
    .executeTakeFirstOrThrow();
  return toUsage(row);
}

/** The change a released reservation makes to the totals of an environment's or a ceiling's row, for
 * an update's `set`: the reservation's row, `released`, is in the statement (a CTE that deleted it),
 * and its amounts are taken off. */
export function releasedFromTotals(released: string) {
  const minus = (column: string, amount: string) =>
    sql<string>`${sql.ref(column)} - ${sql.ref(`${released}.${amount}`)}`;
  return {
    used_cpu_milli: minus("used_cpu_milli", "cpu_milli"),
    used_memory_milli: minus("used_memory_milli", "memory_milli"),
    used_gpu_milli: minus("used_gpu_milli", "gpu_milli"),
    used_storage_milli: minus("used_storage_milli", "storage_milli"),
    used_executions: minus("used_executions", "executions"),
  };
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
