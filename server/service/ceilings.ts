// Quota ceilings: limits on a project or a domain as a whole. Two rules hold them: the environment
// quotas below a ceiling may not add up to more than it (checked at every write that changes what
// lies below: a quota, a ceiling, a transfer), and a reservation is admitted only while every
// ceiling above its environment holds.
//
// Each ceiling row keeps what the live reservations below it hold (used_*): an admission adds to it
// and checks it in one statement, a release takes from it, so an admission costs the same whatever
// the number of live reservations, and the ceiling's row lock is held from that statement to the
// commit only. The totals are counted afresh from the reservations when a ceiling is created and
// when an environment moves between projects. Reservations hold their project and domain rows in
// key-share mode, and a ceiling's creation holds its project or domain row exclusively, so no
// reservation is in flight while a ceiling counts what lies below it.
//
// Locks, always taken in this order so that concurrent writers cannot deadlock: the environment
// row, the project row, the domain row, the project's ceiling, the domain's ceiling. Quota writes
// hold the project and domain rows shared, so a ceiling and a quota written at once are judged one
// after the other. A transfer locks every environment of its project in name order, then holds the
// destination's row shared and both projects' rows in key-share mode, then their ceilings.
import { sql, type QueryCreator, type Selectable } from "kysely";
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
import type { CeilingTable, Database } from "../store/schema";
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
import { audit, auditArgs, auditValues, transaction, type AuditRow } from "./transaction";
import { compiledOnce } from "./compiled-once";
import { checkReplace, limitColumns, overLimits, toUsage, usageBefore } from "./usage";

const kind = "Quota";

type CeilingRow = Jsonable<Selectable<CeilingTable>>;

/** What judging an admission against a ceiling reads of it. */
export type CeilingLimitsAndTotals = Pick<
  CeilingRow,
  | "project"
  | "domain"
  | ResourceKind
  | "max_concurrent_executions"
  | "used_cpu_milli"
  | "used_memory_milli"
  | "used_gpu_milli"
  | "used_storage_milli"
  | "used_executions"
>;

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

/** The sums of the live reservations below a ceiling, as its used_* columns take them. */
function reservationSumsBelow(scope: CeilingScope) {
  const sum = (column: "cpu_milli" | "memory_milli" | "gpu_milli" | "storage_milli" | "executions") => {
    const below =
      scope.kind === "project"
        ? sql`r.project = ${scope.project}`
        : sql`exists (select 1 from environments e where e.project = r.project and e.name = r.environment and e.domain = ${scope.domain})`;
    return sql<string>`(select coalesce(sum(${sql.ref(`r.${column}`)}), 0) from reservations r where ${below})`;
  };
  return {
    used_cpu_milli: sum("cpu_milli"),
    used_memory_milli: sum("memory_milli"),
    used_gpu_milli: sum("gpu_milli"),
    used_storage_milli: sum("storage_milli"),
    used_executions: sum("executions"),
  };
}

/** Counts a ceiling's totals afresh from the reservations below it (its row is locked by then). */
async function recount(tx: Tx, row: CeilingRow) {
  return tx
    .updateTable("ceilings")
    .set(reservationSumsBelow(scopeOf(row)))
    .where("id", "=", row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A ceiling's totals, as usage is computed from them. */
function totalsOf(row: CeilingLimitsAndTotals) {
  return {
    cpu: row.used_cpu_milli,
    memory: row.used_memory_milli,
    gpu: row.used_gpu_milli,
    storage: row.used_storage_milli,
    executions: row.used_executions,
  };
}

/** What the live reservations below a ceiling hold, from its totals. */
function usageOf(row: CeilingRow): QuotaUsage {
  return toUsage(totalsOf(row));
}

async function withUse(q: Queryable, row: CeilingRow): Promise<CeilingWithUse> {
  const scope = scopeOf(row);
  return { ...toCeiling(row), allocated: await allocationBelow(q, scope), usage: usageOf(row) };
}

/** A ceiling's scope and limits. */
type CeilingLimits = Pick<CeilingRow, "project" | "domain" | ResourceKind | "max_concurrent_executions">;

/** Refuses when the quotas below `row` add up to more than it, naming the ceiling and dimension. */
async function checkAllocation(q: Queryable, row: CeilingRow) {
  checkAllocated(row, await allocationBelow(q, scopeOf(row)));
}

/** Refuses when `allocated`, the quotas below `row` added up, is more than it. */
function checkAllocated(row: CeilingLimits, allocated: QuotaAllocation) {
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
    const id = ceilingId(scopeOf(row));
    throw new TenancyError(
      "quota_exceeded",
      `the ceiling ${id} does not hold (${over.map((e) => e.message).join("; ")})`,
      { target: { kind, id }, errors: over },
    );
  }
}

/** What tenancy_put_quota raises when the quotas below a ceiling above no longer fit it. */
export const allocationRefused = "TY002";

/** A ceiling in the detail of allocationRefused: the quotas below it added up, in milli. */
type CeilingAllocated = CeilingLimits & {
  allocated: Record<ResourceKind, string> & { executions: number };
};

/** Refuses as checkAllocation does, from the detail of allocationRefused (the project's ceiling
 * first). */
export function checkAllocatedAbove(detail: string) {
  for (const row of JSON.parse(detail) as CeilingAllocated[]) {
    const { allocated } = row;
    checkAllocated(row, {
      cpu: formatQuantity(BigInt(allocated.cpu)),
      memory: formatQuantity(BigInt(allocated.memory)),
      gpu: formatQuantity(BigInt(allocated.gpu)),
      storage: formatQuantity(BigInt(allocated.storage)),
      maxConcurrentExecutions: allocated.executions,
    });
  }
}

const auditAndLockCeilingsAbove = compiledOnce(
  (q, project: string, domain: string, ...entry: ReturnType<typeof auditArgs>) =>
    q
      .with("held", (db) =>
        db
          .selectFrom("projects as p")
          .innerJoin("domains as d", (join) => join.onTrue())
          .select("p.name")
          .where("p.name", "=", project)
          .where("d.name", "=", domain)
          .forShare(),
      )
      .with("audited", (db) => db.insertInto("audit").values(auditValues(...entry)))
      .selectFrom("ceilings")
      .selectAll("ceilings")
      // Uncorrelated, so it runs once, first: the shared locks come before the ceilings' own.
      .where((eb) => eb.exists(eb.selectFrom("held").select("held.name")))
      .where((eb) => eb.or([eb("ceilings.project", "=", project), eb("ceilings.domain", "=", domain)]))
      .orderBy(sql`ceilings.project is null`)
      .forUpdate("ceilings"),
);

/**
 * After a write that changes the quotas below an environment's project or domain (its quota, a
 * transfer): the ceilings above it must still hold. One statement holds the project and domain
 * rows (for share), then locks the ceilings above, the project's first (the lock order: rows are
 * locked as they come out of the sort); the write's audit entry is appended in the same
 * statement, which saves the write a round trip.
 */
export async function auditAndCheckCeilingsAbove(tx: Tx, project: string, domain: string, entry: AuditRow) {
  const ceilings = await auditAndLockCeilingsAbove(tx, project, domain, ...auditArgs(entry));
  for (const row of ceilings) await checkAllocation(tx, row);
}

/** The ceilings above an environment, locked in the lock order (rows are locked as they come out of
 * the sort: the project's ceiling, then the domain's), for an update's `from`, as `locked`. A
 * release lowers their totals (an admission raises them inside tenancy_admit_group, in the same order). */
export function lockedCeilingsAbove(q: QueryCreator<Database>, project: string, domain: string) {
  return q
    .selectFrom("ceilings")
    .select("id")
    .where((eb) => eb.or([eb("project", "=", project), eb("domain", "=", domain)]))
    .orderBy(sql`project is null`)
    .forUpdate()
    .as("locked");
}

/** Refuses (quota_exceeded, naming the ceiling) when a reservation of `requested` takes a ceiling
 * past a limit: `raised` are the ceilings above its environment with the reservation added. */
export function checkCeilingsAdmit(
  raised: CeilingLimitsAndTotals[],
  requested: Record<ResourceKind, bigint>,
  executions: number,
) {
  // The project's ceiling is judged first.
  const ordered = [...raised].sort((a, b) => Number(a.project === null) - Number(b.project === null));
  for (const row of ordered) {
    const before = usageBefore(totalsOf(row), requested, executions);
    const over = overLimits(row, before, requested, executions);
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

const lockEnvironmentForReservation = compiledOnce((q, project: string, environment: string) =>
  q
    .selectFrom("environments as e")
    .innerJoin("projects as p", "p.name", "e.project")
    .innerJoin("domains as d", "d.name", "e.domain")
    .select(["e.domain", "p.name", "p.archived"])
    .where("e.project", "=", project)
    .where("e.name", "=", environment)
    .forUpdate(["e"])
    .forKeyShare(["p", "d"]),
);

/**
 * The environment a reservation is released from, locked for update (releases and admissions there go
 * one at a time: they change its totals, and tenancy_admit_group takes the same lock), with whether its
 * project is archived.
 * Its project's and domain's rows are held in key-share mode by the same statement, so no ceiling is
 * created over the reservation while it is in flight.
 */
export async function environmentForReservation(tx: Tx, project: string, environment: string) {
  const [row] = await lockEnvironmentForReservation(tx, project, environment);
  if (!row) {
    await loadProject(tx, project); // says which of the two is missing
    throw notFound("Environment", `${project}/${environment}`);
  }
  return row;
}

/** After an environment moved from `source` to `destination` with its reservations: the two
 * projects' ceilings count what lies below them afresh. */
export async function recountProjectCeilings(tx: Tx, source: string, destination: string) {
  const projects = [source, destination].sort();
  await tx.selectFrom("projects").select("name").where("name", "in", projects).forKeyShare().execute();
  const rows = await tx
    .selectFrom("ceilings")
    .selectAll()
    .where("project", "in", projects)
    .orderBy("project")
    .forUpdate()
    .execute();
  for (const row of rows) await recount(tx, row);
}

/** A ceiling's columns for reading it inside a JSON aggregate: its totals as exact text. */
export const ceilingColumnsAsJson = [
  "ceilings.id",
  "ceilings.project",
  "ceilings.domain",
  "ceilings.cpu",
  "ceilings.memory",
  "ceilings.gpu",
  "ceilings.storage",
  "ceilings.max_concurrent_executions",
  "ceilings.version",
  "ceilings.created_at",
  "ceilings.updated_at",
  "ceilings.managed_by",
  "ceilings.claim",
  sql<string>`ceilings.used_cpu_milli::text`.as("used_cpu_milli"),
  sql<string>`ceilings.used_memory_milli::text`.as("used_memory_milli"),
  sql<string>`ceilings.used_gpu_milli::text`.as("used_gpu_milli"),
  sql<string>`ceilings.used_storage_milli::text`.as("used_storage_milli"),
  sql<string>`ceilings.used_executions::text`.as("used_executions"),
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
