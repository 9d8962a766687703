import { sql, type Selectable } from "kysely";
import { environmentId, parseOrThrow, quotaSpecSchema, type Quota, type QuotaUsage } from "../../model";
import type { QuotaTable, ResourceDefaultsTable } from "../store/schema";
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
import { checkDefaultsWithinQuota, mergeDefaults, weakestFirst } from "./defaults-merge";
import { checkReplace, limitColumns, usageOf } from "./usage";
import { loadEnvironment } from "./environments";
import { checkClaim, managedByOf } from "./ownership";
import { loadProject } from "./projects";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { iso, json, optional } from "./rows";
import { audit, refusalDetail, singleStatement, transaction } from "./transaction";
import { allocationRefused, checkAllocatedAbove } from "./ceilings";
import { compiledOnce } from "./compiled-once";
import { writeContext } from "./write-context";

const kind = "Quota";

/** From a row, or from the row as JSON (timestamps as strings). */
export function toQuota(row: Jsonable<Selectable<QuotaTable>>): Quota {
  return {
    project: row.project,
    environment: row.environment,
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

/** What `tenancy_put_quota` (server/store/migrations.ts) answers: nothing when there is no such
 * environment; the rows it read when the write's claim, version or the defaults refuse it (it then
 * writes nothing); else the row before and after. */
type QuotaWrite =
  | {
      written: false;
      before: Jsonable<Selectable<QuotaTable>> | null;
      defaults: Pick<
        Selectable<ResourceDefaultsTable>,
        "domain" | "project" | "environment" | "requests" | "limits"
      >[];
    }
  | {
      written: true;
      before: Jsonable<Selectable<QuotaTable>> | null;
      after: Jsonable<Selectable<QuotaTable>>;
    };

/** A quota's PUT in one statement: the database locks the environment and the quota, judges the
 * claim, the version and the defaults, writes the row and its audit entry and judges the ceilings
 * above, so the environment is locked only while the statement runs. */
const putQuota = compiledOnce(
  (
    q,
    project: string,
    environment: string,
    cpu: string | null,
    memory: string | null,
    gpu: string | null,
    storage: string | null,
    executions: number | null,
    expected: number | null,
    adopt: boolean,
    owner: string | null,
    claim: string | null,
    at: Date,
    actor: string,
    targetKind: string,
    targetId: string,
  ) =>
    q.selectNoFrom(
      sql<QuotaWrite | null>`tenancy_put_quota(${project}, ${environment}, ${cpu}, ${memory}, ${gpu}, ${storage}, ${executions}, ${expected}, ${adopt}, ${owner}::jsonb, ${claim}, ${at}, ${actor}, ${targetKind}, ${targetId})`.as(
        "write",
      ),
    ),
);

/** `putQuota`; a ceiling's refusal, raised by the statement (which undoes it all), becomes the
 * quota_exceeded error naming the ceiling. */
async function putQuotaOrRefuse(...args: Parameters<typeof putQuota>) {
  try {
    return await putQuota(...args);
  } catch (err) {
    const detail = refusalDetail(err, allocationRefused);
    if (detail === undefined) throw err;
    checkAllocatedAbove(detail);
    const [, project, environment] = args;
    throw new Error(`quota of ${project}/${environment}: the database refused what every ceiling holds`, {
      cause: err,
    });
  }
}

type Limits = ReturnType<typeof limitColumns>;

/** The error of a write that tenancy_put_quota refused, from the rows it read. */
function refusal(
  project: string,
  environment: string,
  write: Extract<QuotaWrite, { written: false }>,
  limits: Limits,
  expected: ExpectedVersion,
): never {
  const id = environmentId(project, environment);
  checkReplace(kind, id, write.before ?? undefined, expected);
  checkDefaultsWithinQuota(mergeDefaults(weakestFirst(write.defaults)), limits, project, environment);
  throw new Error(`quota ${id}: the database refused what its claim, version and defaults admit`);
}

export function quotaService({ db, clock = systemClock }: ServiceDeps) {
  return {
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
        const limits = limitColumns(spec);
        const { adopt, owner, claim } = writeContext();
        const now = clock.now();
        const [row] = await putQuotaOrRefuse(
          q,
          project,
          environment,
          limits.cpu,
          limits.memory,
          limits.gpu,
          limits.storage,
          limits.max_concurrent_executions,
          expected ?? null,
          adopt ?? false,
          json(owner),
          claim ?? null,
          now,
          actor.name,
          kind,
          id,
        );
        const write = row?.write;
        if (!write) {
          await loadProject(q, project); // says which of the two is missing
          throw notFound("Environment", id);
        }
        if (!write.written) refusal(project, environment, write, limits, expected);
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
