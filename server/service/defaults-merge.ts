// Resource defaults merged environment over project over domain, with the scope that set each
// field (the rule that no default asks one workload for more than its environment's quota is
// tenancy_defaults_refusal's, in server/store/functions).
import type { ExpressionBuilder, Selectable } from "kysely";
import { resourceKinds, scopeId, type EffectiveDefaults } from "../../model";
import type { Database, ResourceDefaultsTable } from "../store/schema";
import type { Operand, Queryable } from "./context";

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

type DefaultsBuilder = ExpressionBuilder<Database & { d: ResourceDefaultsTable }, "d">;

/** A scope whose names may also be columns of an enclosing query. */
type ScopeOperands =
  | { kind: "domain"; domain: Operand }
  | { kind: "project"; project: Operand }
  | { kind: "environment"; project: Operand; environment: Operand };

/** The defaults rows of exactly one scope (as `resource_defaults as d`). */
export function inScope(scope: ScopeOperands) {
  return (eb: DefaultsBuilder) => {
    switch (scope.kind) {
      case "domain":
        return eb("d.domain", "=", scope.domain);
      case "project":
        return eb.and([eb("d.project", "=", scope.project), eb("d.environment", "is", null)]);
      case "environment":
        return eb.and([eb("d.project", "=", scope.project), eb("d.environment", "=", scope.environment)]);
    }
  };
}

/** The defaults rows (as `resource_defaults as d`) that reach one environment, in any scope: its
 * domain's (a name, or a column of the enclosing query), its project's and its own. */
export function reaching(project: Operand, environment: Operand, domain: Operand) {
  return (eb: DefaultsBuilder) =>
    eb.or([
      eb("d.domain", "=", domain),
      inScope({ kind: "project", project })(eb),
      inScope({ kind: "environment", project, environment })(eb),
    ]);
}

/** The defaults rows that reach one environment, with the columns a merge reads. */
export function defaultsReaching(q: Queryable, project: Operand, environment: Operand, domain: Operand) {
  return q
    .selectFrom("resource_defaults as d")
    .select(["d.domain", "d.project", "d.environment", "d.requests", "d.limits"])
    .where(reaching(project, environment, domain));
}

/** The defaults rows that apply to one environment, weakest first. */
export async function defaultsRowsFor(q: Queryable, project: string, environment: string, domain: string) {
  return weakestFirst(await defaultsReaching(q, project, environment, domain).execute());
}

/** Defaults rows ordered domain, then project, then environment: the order they merge in. */
export function weakestFirst<Row extends Pick<DefaultsRow, "domain" | "environment">>(rows: Row[]): Row[] {
  const strength = (row: Row) => (row.domain !== null ? 0 : row.environment === null ? 1 : 2);
  return rows.sort((a, b) => strength(a) - strength(b));
}
