// Quota ceilings: limits on a project or a domain as a whole (the service). Their locks, totals and
// the rule that holds them are in server/service/ceiling-locks.ts.
import { sql, type Selectable } from "kysely";
import {
  ceilingId,
  formatQuantity,
  parseOrThrow,
  quotaSpecSchema,
  type Ceiling,
  type CeilingScope,
  type CeilingWithUse,
  quotaDimensionRegistry,
  type CountDimension,
  type QuotaAllocation,
  type ResourceKind,
} from "../../model";
import { dimensionColumns } from "../store/dimensions";
import type { CeilingTable } from "../store/schema";
import { authorizeProjectRead, requireOrgAdmin } from "./access";
import {
  systemClock,
  type Actor,
  type ExpectedVersion,
  type Jsonable,
  type Queryable,
  type ServiceDeps,
  type Tx,
} from "./context";
import { checkAllocation, recount } from "./ceiling-locks";
import { loadDomain } from "./domains";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { loadProject } from "./projects";
import { iso } from "./rows";
import { audit, transaction } from "./transaction";
import { compiledOnce } from "./compiled-once";
import { checkReplace, limitColumns, usageOfTotals, limitsOf } from "./usage";

const kind = "Quota";

type CeilingRow = Jsonable<Selectable<CeilingTable>>;

function scopeOf(row: Pick<CeilingRow, "project" | "domain">): CeilingScope {
  return row.project !== null
    ? { kind: "project", project: row.project }
    : { kind: "domain", domain: row.domain! };
}

export function toCeiling(row: CeilingRow): Ceiling {
  const scope = scopeOf(row);
  return {
    scope: ceilingId(scope),
    ...(scope.kind === "project" ? { project: scope.project } : { domain: scope.domain }),
    ...limitsOf(row),
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

async function findCeiling(q: Queryable, scope: CeilingScope, forUpdate = false) {
  let query = q.selectFrom("ceilings").selectAll();
  query =
    scope.kind === "project"
      ? query.where("project", "=", scope.project)
      : query.where("domain", "=", scope.domain);
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** What tenancy_allocation answers: per dimension by its name in usage, quantities in milli-units
 * (exact text), the count as a number. */
type AllocationSums = Record<ResourceKind, string> & Record<CountDimension, number>;

const allocation = compiledOnce((q, id: number) =>
  q
    .selectFrom("ceilings as c")
    .select(sql<AllocationSums>`tenancy_allocation(c)`.as("sums"))
    .where("c.id", "=", id),
);

/** The quotas of the environments below a ceiling, added up on each dimension they set. */
async function allocationBelow(q: Queryable, row: CeilingRow): Promise<QuotaAllocation> {
  const [{ sums }] = (await allocation(q, row.id)) as [{ sums: AllocationSums }];
  return Object.fromEntries(
    quotaDimensionRegistry.map((d) => [
      d.field,
      d.quantity ? formatQuantity(BigInt(sums[d.usage])) : sums[d.usage],
    ]),
  ) as QuotaAllocation;
}

async function withUse(q: Queryable, row: CeilingRow): Promise<CeilingWithUse> {
  return { ...toCeiling(row), allocated: await allocationBelow(q, row), usage: usageOfTotals(row) };
}

/** A ceiling's columns for reading it inside a JSON aggregate: its totals as exact text. */
export const ceilingColumnsAsJson = [
  "ceilings.id",
  "ceilings.project",
  "ceilings.domain",
  ...quotaDimensionRegistry.map((d) => `ceilings.${d.column}` as const),
  "ceilings.version",
  "ceilings.created_at",
  "ceilings.updated_at",
  "ceilings.managed_by",
  "ceilings.claim",
  ...dimensionColumns.map(({ used }) => sql<string>`${sql.ref(`ceilings.${used}`)}::text`.as(used)),
] as const;

/** Ceilings read elsewhere (the effective configuration's statement), with their use. */
export async function withUseOf(q: Queryable, rows: CeilingRow[]): Promise<CeilingWithUse[]> {
  return Promise.all(rows.map((row) => withUse(q, row)));
}

export function ceilingService({ db, clock = systemClock }: ServiceDeps) {
  /** Who may read a ceiling: a project's, whoever may read the project; a domain's, every token
   * (domains are the organisation's vocabulary). */
  async function authorizeRead(actor: Actor, scope: CeilingScope) {
    if (scope.kind === "project") await authorizeProjectRead(db, actor, scope.project);
  }

  async function lockScope(tx: Tx, scope: CeilingScope) {
    if (scope.kind === "project") await loadProject(tx, scope.project, "update");
    else await loadDomain(tx, scope.domain, true);
  }

  return {
    async get(actor: Actor, scope: CeilingScope): Promise<CeilingWithUse> {
      await authorizeRead(actor, scope);
      if (scope.kind === "project") await loadProject(db, scope.project);
      else await loadDomain(db, scope.domain);
      const row = await findCeiling(db, scope);
      if (!row) throw notFound(kind, ceilingId(scope));
      return withUse(db, row);
    },

    /** Creates or replaces a ceiling (org admins only: it bounds what project admins may give).
     * Refused when the quotas already below it add up to more; live reservations above it are
     * allowed and block new ones until they fall. */
    async put(actor: Actor, scope: CeilingScope, body: unknown, expected: ExpectedVersion): Promise<Ceiling> {
      requireOrgAdmin(actor, `set the ceiling ${ceilingId(scope)}`);
      const spec = parseOrThrow(quotaSpecSchema, body, "ceiling");
      const id = ceilingId(scope);
      return transaction(db, { kind, id }, async (tx) => {
        await lockScope(tx, scope);
        const before = await findCeiling(tx, scope, true);
        checkReplace(kind, id, before, expected);
        const now = clock.now();
        const values = { ...limitColumns(spec), updated_at: now };
        const row = before
          ? await tx
              .updateTable("ceilings")
              .set({ ...values, ...ownershipOnUpdate(before), version: before.version + 1 })
              .where("id", "=", before.id)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await tx
              .insertInto("ceilings")
              .values({
                ...ownershipOnCreate(),
                ...values,
                project: scope.kind === "project" ? scope.project : null,
                domain: scope.kind === "domain" ? scope.domain : null,
                created_at: now,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
        // A new ceiling counts what is already reserved below it: no reservation is in flight
        // there, its scope's row being held exclusively.
        const counted = before ? row : await recount(tx, row);
        await checkAllocation(tx, counted);
        const after = toCeiling(counted);
        await audit(
          tx,
          actor,
          now,
          before ? "quota.update" : "quota.create",
          { kind, id },
          before && toCeiling(before),
          after,
        );
        return after;
      });
    },

    async remove(actor: Actor, scope: CeilingScope, expected: ExpectedVersion): Promise<void> {
      requireOrgAdmin(actor, `remove the ceiling ${ceilingId(scope)}`);
      const id = ceilingId(scope);
      const version = requireExpectedVersion(expected, kind, id);
      await transaction(db, { kind, id }, async (tx) => {
        await lockScope(tx, scope);
        const before = await findCeiling(tx, scope, true);
        if (!before) throw notFound(kind, id);
        checkClaim(kind, id, before);
        checkVersion(kind, id, version, before);
        await tx.deleteFrom("ceilings").where("id", "=", before.id).execute();
        await audit(tx, actor, clock.now(), "quota.delete", { kind, id }, toCeiling(before), undefined);
      });
    },
  };
}
