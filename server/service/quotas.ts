import { sql, type Selectable } from "kysely";
import { environmentId, parseOrThrow, quotaSpecSchema, type Quota, type QuotaUsage } from "../../model";
import type { QuotaTable } from "../store/schema";
import { authorize } from "./access";
import {
  systemClock,
  type Actor,
  type ExpectedVersion,
  type Jsonable,
  type Operand,
  type Queryable,
  type ServiceDeps,
} from "./context";
import { limitColumns, usageOf, limitsOf, toUsage, usageTotals } from "./usage";
import { loadEnvironment } from "./environment-rows";
import { checkClaim, managedByOf } from "./ownership";
import { loadProject } from "./projects";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { iso, json } from "./rows";
import { audit, singleStatement, transaction } from "./transaction";
import { compiledOnceNamed } from "./compiled-once";
import { refusalError } from "./refusals";
import { writeContext } from "./write-context";

const kind = "Quota";

/** From a row, or from the row as JSON (timestamps as strings). */
export function toQuota(row: Jsonable<Selectable<QuotaTable>>): Quota {
  return {
    project: row.project,
    environment: row.environment,
    ...limitsOf(row),
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

/** An environment's quota row. */
export function quotaRow(q: Queryable, project: Operand, environment: Operand) {
  return q
    .selectFrom("quotas")
    .selectAll("quotas")
    .where("quotas.project", "=", project)
    .where("quotas.environment", "=", environment);
}

export async function findQuota(q: Queryable, project: string, environment: string, forUpdate = false) {
  const query = quotaRow(q, project, environment);
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst();
}

/** What `tenancy_put_quota` (server/store/functions) answers: nothing when there is no such
 * environment; what refused the write (which it then did not make); else the row before and after. */
type QuotaWrite =
  | { written: false; refusal: unknown }
  | {
      written: true;
      before: Jsonable<Selectable<QuotaTable>> | null;
      after: Jsonable<Selectable<QuotaTable>>;
    };

/** One quota write as tenancy_put_quota takes it: the limit columns, and who writes what. */
type QuotaWriteArgs = ReturnType<typeof limitColumns> & {
  project: string;
  environment: string;
  /** If-Match, null when none came. */
  expected: number | null;
  adopt: boolean;
  owner: string | null;
  claim: string | null;
  at: Date;
  actor: string;
  targetId: string;
};

/** A quota's PUT in one statement: the database locks the environment and the quota, judges the
 * claim, the version and the defaults, writes the row and its audit entry and judges the ceilings
 * above, so the environment is locked only while the statement runs. */
const putQuota = compiledOnceNamed((q, w: QuotaWriteArgs) =>
  q.selectNoFrom(
    sql<QuotaWrite | null>`tenancy_put_quota(${w.project}, ${w.environment}, ${w.cpu}, ${w.memory}, ${w.gpu}, ${w.storage}, ${w.max_concurrent_executions}, ${w.expected}, ${w.adopt}, ${w.owner}::jsonb, ${w.claim}, ${w.at}, ${w.actor}, ${kind}, ${w.targetId})`.as(
      "write",
    ),
  ),
);

export function quotaService({ db, clock = systemClock }: ServiceDeps) {
  return {
    /** The quotas of a project's environments named in `environments`, with their usage, by
     * environment, in two statements: for callers that already hold read on those environments. */
    async ofEnvironments(project: string, environments: readonly string[]) {
      const found = new Map<string, Quota & { usage: QuotaUsage }>();
      if (environments.length === 0) return found;
      const rows = await db
        .selectFrom("quotas")
        .selectAll()
        .where("project", "=", project)
        .where("environment", "in", environments)
        .execute();
      const usages = await db
        .selectFrom("environments as e")
        .select("e.name")
        .select(usageTotals("e"))
        .where("e.project", "=", project)
        .where("e.name", "in", environments)
        .execute();
      const usageByName = new Map(usages.map(({ name, ...totals }) => [name, toUsage(totals)]));
      for (const row of rows) {
        const usage = usageByName.get(row.environment);
        if (usage) found.set(row.environment, { ...toQuota(row), usage });
      }
      return found;
    },

    async get(actor: Actor, project: string, environment: string): Promise<Quota & { usage: QuotaUsage }> {
      const id = environmentId(project, environment);
      await authorize(db, actor, "read", project, environment);
      await loadEnvironment(db, project, environment);
      const row = await findQuota(db, project, environment);
      if (!row) throw notFound(kind, id);
      return { ...toQuota(row), usage: await usageOf(db, project, environment) };
    },

    /**
     * Creates or replaces the quota. Replacing needs If-Match; a quota below current usage is
     * allowed and blocks new reservations until usage falls.
     */
    async put(actor: Actor, project: string, environment: string, body: unknown, expected: ExpectedVersion) {
      const spec = parseOrThrow(quotaSpecSchema, body, "quota");
      const id = environmentId(project, environment);
      return singleStatement(db, { kind, id }, async (q) => {
        // A quota limits its environment's users: they may not set it themselves.
        await authorize(q, actor, "administer", project, environment);
        const { adopt, owner, claim } = writeContext();
        const [row] = await putQuota(q, {
          project,
          environment,
          ...limitColumns(spec),
          expected: expected ?? null,
          adopt: adopt ?? false,
          owner: json(owner),
          claim: claim ?? null,
          at: clock.now(),
          actor: actor.name,
          targetId: id,
        });
        const write = row?.write;
        if (!write) {
          await loadProject(q, project); // says which of the two is missing
          throw notFound("Environment", id);
        }
        if (!write.written) throw refusalError({ kind, id }, write.refusal);
        return toQuota(write.after);
      });
    },

    async remove(actor: Actor, project: string, environment: string, expected: ExpectedVersion) {
      const id = environmentId(project, environment);
      const version = requireExpectedVersion(expected, kind, id);
      await transaction(db, { kind, id }, async (tx) => {
        await authorize(tx, actor, "administer", project, environment);
        await loadEnvironment(tx, project, environment, true);
        const before = await findQuota(tx, project, environment, true);
        if (!before) throw notFound(kind, id);
        checkClaim(kind, id, before);
        checkVersion(kind, id, version, before);
        await tx
          .deleteFrom("quotas")
          .where("project", "=", project)
          .where("environment", "=", environment)
          .execute();
        await audit(tx, actor, clock.now(), "quota.delete", { kind, id }, toQuota(before), undefined);
      });
    },
  };
}
