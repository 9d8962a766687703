// The effective configuration of an environment: resource defaults merged environment over project
// over domain, with the scope that set each field; the quota and its usage; the names (never the
// values) of the bound secrets. What a runtime asks before it schedules work.
import { sql, type Selectable } from "kysely";
import {
  TenancyError,
  environmentId,
  formatQuantity,
  parseQuantity,
  resourceKinds,
  scopeId,
  type QuotaUsage,
  type ResourceKind,
} from "../../model";
import type { QuotaTable, ResourceDefaultsTable } from "../store/schema";
import type { Queryable } from "./context";

export interface EffectiveField {
  value: string;
  /** `domain:D`, `project:P` or `project:P/environment:E` */
  source: string;
}

export type EffectiveAmounts = Partial<Record<ResourceKind, EffectiveField>>;

export interface EffectiveDefaults {
  requests: EffectiveAmounts;
  limits: EffectiveAmounts;
}

type DefaultsRow = Selectable<ResourceDefaultsTable>;

function rowScope(row: DefaultsRow): string {
  if (row.domain !== null) return scopeId({ kind: "domain", domain: row.domain });
  if (row.environment !== null)
    return scopeId({ kind: "environment", project: row.project!, environment: row.environment });
  return scopeId({ kind: "project", project: row.project! });
}

/** Merges defaults rows given from the weakest scope to the strongest. */
export function mergeDefaults(
  rows: Pick<DefaultsRow, "domain" | "project" | "environment" | "requests" | "limits">[],
) {
  const merged: EffectiveDefaults = { requests: {}, limits: {} };
  for (const row of rows) {
    const source = rowScope(row as DefaultsRow);
    for (const part of ["requests", "limits"] as const) {
      const amounts = row[part] ?? {};
      for (const kind of resourceKinds) {
        const value = amounts[kind];
        if (value !== undefined) merged[part][kind] = { value, source };
      }
    }
  }
  return merged;
}

/** The defaults rows that apply to one environment, weakest first. */
export async function defaultsRowsFor(q: Queryable, project: string, environment: string, domain: string) {
  const rows = await q
    .selectFrom("resource_defaults")
    .selectAll()
    .where((eb) =>
      eb.or([
        eb("domain", "=", domain),
        eb.and([eb("project", "=", project), eb("environment", "is", null)]),
        eb.and([eb("project", "=", project), eb("environment", "=", environment)]),
      ]),
    )
    .execute();
  return weakestFirst(rows);
}

/** Defaults rows ordered domain, then project, then environment: the order they merge in. */
export function weakestFirst<Row extends Pick<DefaultsRow, "domain" | "environment">>(rows: Row[]): Row[] {
  const strength = (row: Row) => (row.domain !== null ? 0 : row.environment === null ? 1 : 2);
  return rows.sort((a, b) => strength(a) - strength(b));
}

export function quotaLimit(quota: Selectable<QuotaTable>, kind: ResourceKind): bigint | undefined {
  const value = quota[kind];
  return value === null ? undefined : parseQuantity(value);
}

/** Refuses defaults that ask a single workload for more than the environment's whole quota. */
export function checkDefaultsWithinQuota(
  defaults: EffectiveDefaults,
  quota: Selectable<QuotaTable> | undefined,
  project: string,
  environment: string,
) {
  if (!quota) return;
  const errors: { path: string; message: string }[] = [];
  for (const part of ["requests", "limits"] as const) {
    for (const kind of resourceKinds) {
      const field = defaults[part][kind];
      const limit = quotaLimit(quota, kind);
      if (field && limit !== undefined && parseQuantity(field.value) > limit) {
        errors.push({
          path: `${part}.${kind}`,
          message: `${field.value} (set by ${field.source}) is above the quota's ${kind} of ${quota[kind]}`,
        });
      }
    }
  }
  if (errors.length > 0) {
    const id = environmentId(project, environment);
    throw new TenancyError(
      "validation_failed",
      `defaults for environment ${id} exceed its quota: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
      { errors, target: { kind: "Environment", id } },
    );
  }
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
