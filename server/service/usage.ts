// What an environment's live reservations hold, and what its quota allows, in exact units.
import { sql } from "kysely";
import {
  formatQuantity,
  quotaDimensionRegistry,
  type CountDimension,
  type QuotaDimensionInfo,
  type QuotaSpec,
  type QuotaUsage,
  type ResourceKind,
} from "../../model";
import { dimensionColumns, perUsedColumn, type UsedColumn } from "../store/dimensions";
import type { ManagedByColumn } from "../store/schema";
import type { ExpectedVersion, Queryable } from "./context";
import { checkVersion, requireExpectedVersion, versionMismatch } from "./errors";
import { checkClaim } from "./ownership";

/** An environment's usage from the totals its row keeps, as exact decimal text (also selected
 * inside the effective configuration's and the console's statements); `alias` names the
 * environments table in the query. Each is named as the dimension in usage. */
export function usageTotals(alias: string) {
  return dimensionColumns.map(({ dimension, used }) =>
    sql<string>`${sql.ref(`${alias}.${used}`)}::text`.as(dimension.usage),
  );
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
  return perUsedColumn(
    ({ used, amount }) => sql<string>`${sql.ref(used)} - ${sql.ref(`${released}.${amount}`)}`,
  );
}

/** Usage from the sums of reservations' exact amounts (milli-units, as decimal strings), by each
 * dimension's name in usage. */
export function toUsage(sums: Record<ResourceKind | CountDimension, string | number>): QuotaUsage {
  const usage = Object.fromEntries(
    quotaDimensionRegistry.map(({ usage, quantity }) => [
      usage,
      quantity ? formatQuantity(BigInt(sums[usage])) : Number(sums[usage]),
    ]),
  );
  return usage as QuotaUsage;
}

/** A ceiling's or an environment's usage from its totals columns. */
export function usageOfTotals(row: Record<UsedColumn, string>): QuotaUsage {
  return toUsage(
    Object.fromEntries(dimensionColumns.map(({ dimension, used }) => [dimension.usage, row[used]])) as Record<
      ResourceKind | CountDimension,
      string
    >,
  );
}

/** The limits of a quota's or a ceiling's row, as the API shows them (an unlimited one omitted). */
export function limitsOf(row: { [D in QuotaDimensionInfo as D["column"]]: QuotaSpec[D["field"]] | null }) {
  return Object.fromEntries(
    quotaDimensionRegistry.map((d) => [d.field, row[d.column] ?? undefined]),
  ) as QuotaSpec;
}

/** The limit columns of a quota or a ceiling; an omitted limit is unlimited (null). */
export function limitColumns(spec: QuotaSpec) {
  return Object.fromEntries(quotaDimensionRegistry.map((d) => [d.column, spec[d.field] ?? null])) as {
    [D in QuotaDimensionInfo as D["column"]]: QuotaSpec[D["field"]] | null;
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
