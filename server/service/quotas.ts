import type { Selectable } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import {
  environmentId,
  parseOrThrow,
  quotaSpecSchema,
  type Quota,
  type QuotaSpec,
  type QuotaUsage,
} from "../../model";
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
  type Tx,
} from "./context";
import { checkDefaultsWithinQuota, defaultsReaching, mergeDefaults, weakestFirst } from "./defaults-merge";
import { usageOf } from "./usage";
import { loadEnvironment } from "./environments";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { iso, json, optional } from "./rows";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipTaken } from "./ownership";
import { audit, auditEntry, transaction } from "./transaction";
import { checkReplace, limitColumns } from "./usage";
import { auditAndCheckCeilingsAbove } from "./ceilings";
import { compiledOnce } from "./compiled-once";

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

/** The environment's quota, locked (its environment is locked already: every quota write locks
 * it first), and the defaults rows that reach the environment, in one statement. */
const lockQuotaWithDefaults = compiledOnce((q, project: string, environment: string, domain: string) =>
  q
    .with("locked", () => quotaRow(q, project, environment).forUpdate())
    .selectNoFrom((eb) => [
      jsonObjectFrom(eb.selectFrom("locked").selectAll()).as("quota"),
      jsonArrayFrom(defaultsReaching(q, project, environment, domain)).as("defaults"),
    ]),
);

type Limits = ReturnType<typeof limitColumns>;
/** A quota's limits as arguments of a statement compiled once, in limitValues' order. */
type LimitArgs = [
  cpu: Limits["cpu"],
  memory: Limits["memory"],
  gpu: Limits["gpu"],
  storage: Limits["storage"],
  executions: Limits["max_concurrent_executions"],
];
const limitValues = (...[cpu, memory, gpu, storage, max_concurrent_executions]: LimitArgs): Limits => ({
  cpu,
  memory,
  gpu,
  storage,
  max_concurrent_executions,
});

/** A quota's new limits, and its ownership columns (the writer's, or as they were). */
const updateQuota = compiledOnce(
  (
    q,
    project: string,
    environment: string,
    updatedAt: Date,
    version: number,
    managedBy: string | null,
    claim: string | null,
    ...limits: LimitArgs
  ) =>
    q
      .updateTable("quotas")
      .set({ ...limitValues(...limits), updated_at: updatedAt, version, managed_by: managedBy, claim })
      .where("project", "=", project)
      .where("environment", "=", environment)
      .returningAll(),
);
const insertQuota = compiledOnce(
  (
    q,
    project: string,
    environment: string,
    createdAt: Date,
    managedBy: string | null,
    claim: string | null,
    ...limits: LimitArgs
  ) =>
    q
      .insertInto("quotas")
      .values({
        ...limitValues(...limits),
        project,
        environment,
        created_at: createdAt,
        updated_at: createdAt,
        managed_by: managedBy,
        claim,
      })
      .returningAll(),
);

/** Writes the quota's limits: a new row, or the locked row `before` replaced. */
async function writeQuota(
  tx: Tx,
  project: string,
  environment: string,
  spec: QuotaSpec,
  now: Date,
  before: Jsonable<Selectable<QuotaTable>> | undefined,
) {
  const { cpu, memory, gpu, storage, max_concurrent_executions } = limitColumns(spec);
  const limits: LimitArgs = [cpu, memory, gpu, storage, max_concurrent_executions];
  if (!before) {
    const { managed_by, claim } = ownershipOnCreate();
    return (await insertQuota(tx, project, environment, now, managed_by, claim, ...limits))[0]!;
  }
  // The row is locked: writing its ownership back as it was leaves it unchanged.
  const { managed_by, claim } = ownershipTaken(before) ?? {
    managed_by: json(before.managed_by),
    claim: before.claim,
  };
  const version = before.version + 1;
  const [row] = await updateQuota(tx, project, environment, now, version, managed_by, claim, ...limits);
  return row!;
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
      return transaction(db, { kind, id }, async (tx) => {
        const env = await loadEnvironment(tx, project, environment, true);
        const [locked] = await lockQuotaWithDefaults(tx, project, environment, env.domain);
        const before = locked!.quota ?? undefined;
        // A quota limits its environment's users: they may not set it themselves.
        await authorize(tx, actor, "administer", project, environment);
        checkReplace(kind, id, before, expected);
        const now = clock.now();
        const row = await writeQuota(tx, project, environment, spec, now, before);
        checkDefaultsWithinQuota(mergeDefaults(weakestFirst(locked!.defaults)), row, project, environment);
        const after = toQuota(row);
        const action = before ? "quota.update" : "quota.create";
        const entry = auditEntry(actor, now, action, { kind, id }, before && toQuota(before), after);
        await auditAndCheckCeilingsAbove(tx, project, env.domain, entry);
        return after;
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
