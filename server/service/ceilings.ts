// Quota ceilings: limits on a project or a domain as a whole. Two rules hold them: the environment
// quotas below a ceiling may not add up to more than it (checked at every write that changes what
// lies below: a quota, a ceiling, a transfer), and a reservation is admitted only while every
// ceiling above its environment holds.
//
// Locks, always taken in this order so that concurrent writers cannot deadlock: the environment
// row, the project row, the domain row, the project's ceiling, the domain's ceiling. A ceiling write
// holds its project or domain row exclusively; quota writes hold them shared, so a ceiling and a
// quota written at once are judged one after the other.
import type { Selectable } from "kysely";
import {
  TenancyError,
  ceilingId,
  formatQuantity,
  parseOrThrow,
  parseQuantity,
  quotaSpecSchema,
  resourceKinds,
  type Ceiling,
  type CeilingScope,
  type CeilingWithUse,
  type FieldError,
  type QuotaAllocation,
  type QuotaUsage,
  type ResourceKind,
} from "../../model";
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
import { loadDomain } from "./domains";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { loadProject } from "./projects";
import { iso, optional } from "./rows";
import { audit, transaction } from "./transaction";
import { checkReplace, limitColumns, overLimits, toUsage, usageSums } from "./usage";

const kind = "Quota";

type CeilingRow = Jsonable<Selectable<CeilingTable>>;

function scopeOf(row: CeilingRow): CeilingScope {
  return row.project !== null
    ? { kind: "project", project: row.project }
    : { kind: "domain", domain: row.domain! };
}

export function toCeiling(row: CeilingRow): Ceiling {
  const scope = scopeOf(row);
  return {
    scope: ceilingId(scope),
    ...(scope.kind === "project" ? { project: scope.project } : { domain: scope.domain }),
    cpu: optional(row.cpu),
    memory: optional(row.memory),
    gpu: optional(row.gpu),
    storage: optional(row.storage),
    maxConcurrentExecutions: optional(row.max_concurrent_executions),
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

/** The quotas of the environments below a ceiling, added up on each dimension they set. */
async function allocationBelow(q: Queryable, scope: CeilingScope): Promise<QuotaAllocation> {
  let query = q
    .selectFrom("quotas")
    .innerJoin("environments as e", (join) =>
      join.onRef("e.project", "=", "quotas.project").onRef("e.name", "=", "quotas.environment"),
    )
    .select([
      "quotas.cpu",
      "quotas.memory",
      "quotas.gpu",
      "quotas.storage",
      "quotas.max_concurrent_executions",
    ]);
  query =
    scope.kind === "project"
      ? query.where("e.project", "=", scope.project)
      : query.where("e.domain", "=", scope.domain);
  const sums: Record<ResourceKind, bigint> = { cpu: 0n, memory: 0n, gpu: 0n, storage: 0n };
  let executions = 0;
  for (const quota of await query.execute()) {
    for (const k of resourceKinds) if (quota[k] !== null) sums[k] += parseQuantity(quota[k]);
    executions += quota.max_concurrent_executions ?? 0;
  }
  return {
    cpu: formatQuantity(sums.cpu),
    memory: formatQuantity(sums.memory),
    gpu: formatQuantity(sums.gpu),
    storage: formatQuantity(sums.storage),
    maxConcurrentExecutions: executions,
  };
}

/** What the live reservations below a ceiling hold. */
async function usageBelow(q: Queryable, scope: CeilingScope): Promise<QuotaUsage> {
  const base = q.selectFrom("reservations").select(usageSums);
  const row = await (
    scope.kind === "project"
      ? base.where("project", "=", scope.project)
      : base.where(({ exists, selectFrom }) =>
          exists(
            selectFrom("environments as e")
              .select("e.name")
              .whereRef("e.project", "=", "reservations.project")
              .whereRef("e.name", "=", "reservations.environment")
              .where("e.domain", "=", scope.domain),
          ),
        )
  ).executeTakeFirstOrThrow();
  return toUsage(row);
}

async function withUse(q: Queryable, row: CeilingRow): Promise<CeilingWithUse> {
  const scope = scopeOf(row);
  const [allocated, usage] = await Promise.all([allocationBelow(q, scope), usageBelow(q, scope)]);
  return { ...toCeiling(row), allocated, usage };
}

/** Refuses when the quotas below `row` add up to more than it, naming the ceiling and dimension. */
async function checkAllocation(q: Queryable, row: CeilingRow) {
  const scope = scopeOf(row);
  const allocated = await allocationBelow(q, scope);
  const over: FieldError[] = [];
  for (const k of resourceKinds) {
    const limit = row[k];
    if (limit !== null && parseQuantity(allocated[k]) > parseQuantity(limit)) {
      over.push({ path: k, message: `${k}: the quotas below add up to ${allocated[k]} > ${limit}` });
    }
  }
  const maxExecutions = row.max_concurrent_executions;
  if (maxExecutions !== null && allocated.maxConcurrentExecutions > maxExecutions) {
    over.push({
      path: "maxConcurrentExecutions",
      message: `maxConcurrentExecutions: the quotas below add up to ${allocated.maxConcurrentExecutions} > ${maxExecutions}`,
    });
  }
  if (over.length > 0) {
    const id = ceilingId(scope);
    throw new TenancyError(
      "quota_exceeded",
      `the ceiling ${id} does not hold (${over.map((e) => e.message).join("; ")})`,
      { target: { kind, id }, errors: over },
    );
  }
}

/** The ceilings above an environment, locked, the project's first (the lock order). */
async function lockCeilingsAbove(tx: Tx, project: string, domain: string) {
  const rows = [];
  for (const scope of [
    { kind: "project", project },
    { kind: "domain", domain },
  ] as const) {
    const row = await findCeiling(tx, scope, true);
    if (row) rows.push(row);
  }
  return rows;
}

/** After a write that changes the quotas below an environment's project or domain (its quota, a
 * transfer): the ceilings above it must still hold. */
export async function checkCeilingsAbove(tx: Tx, project: string, domain: string) {
  await tx.selectFrom("projects").select("name").where("name", "=", project).forShare().execute();
  await tx.selectFrom("domains").select("name").where("name", "=", domain).forShare().execute();
  for (const row of await lockCeilingsAbove(tx, project, domain)) await checkAllocation(tx, row);
}

/** Refuses a reservation that would take the live reservations below any ceiling above the
 * environment past it. The ceilings are locked, so concurrent admissions are judged one at a time. */
export async function admitUnderCeilings(
  tx: Tx,
  project: string,
  domain: string,
  requested: Record<ResourceKind, bigint>,
  executions: number,
) {
  for (const row of await lockCeilingsAbove(tx, project, domain)) {
    const over = overLimits(row, await usageBelow(tx, scopeOf(row)), requested, executions);
    if (over.length > 0) {
      const id = ceilingId(scopeOf(row));
      throw new TenancyError(
        "quota_exceeded",
        `the ceiling ${id} does not admit this reservation (${over.join("; ")})`,
        { target: { kind, id } },
      );
    }
  }
}

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
    if (scope.kind === "project") await loadProject(tx, scope.project, true);
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
              .set({ ...values, ...ownershipOnUpdate(), version: before.version + 1 })
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
        await checkAllocation(tx, row);
        const after = toCeiling(row);
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
