import type { Selectable } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import { environmentId, parseOrThrow, quotaSpecSchema, type Quota, type QuotaUsage } from "../../model";
import type { QuotaTable } from "../store/schema";
import { authorize } from "./access";
import {
  systemClock,
  type Actor,
  type ExpectedVersion,
  type Jsonable,
  type Queryable,
  type ServiceDeps,
  type Tx,
} from "./context";
import { checkDefaultsWithinQuota, defaultsReaching, mergeDefaults, weakestFirst } from "./defaults-merge";
import { usageOf } from "./usage";
import { loadEnvironment } from "./environments";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { iso, optional } from "./rows";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { audit, auditEntry, transaction } from "./transaction";
import { checkReplace, limitColumns } from "./usage";
import { auditAndCheckCeilingsAbove } from "./ceilings";

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
export function quotaRow(q: Queryable, project: string, environment: string) {
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
async function lockQuotaWithDefaults(tx: Tx, project: string, environment: string, domain: string) {
  const row = await tx
    .with("locked", () => quotaRow(tx, project, environment).forUpdate())
    .selectNoFrom((eb) => [
      jsonObjectFrom(eb.selectFrom("locked").selectAll()).as("quota"),
      jsonArrayFrom(defaultsReaching(tx, project, environment, domain)).as("defaults"),
    ])
    .executeTakeFirstOrThrow();
  return { before: row.quota ?? undefined, defaultsRows: row.defaults };
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
        const { before, defaultsRows } = await lockQuotaWithDefaults(tx, project, environment, env.domain);
        // A quota limits its environment's users: they may not set it themselves.
        await authorize(tx, actor, "administer", project, environment);
        checkReplace(kind, id, before, expected);
        const now = clock.now();
        const values = { ...limitColumns(spec), updated_at: now };
        const row = before
          ? await tx
              .updateTable("quotas")
              .set({ ...values, ...ownershipOnUpdate(before), version: before.version + 1 })
              .where("project", "=", project)
              .where("environment", "=", environment)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await tx
              .insertInto("quotas")
              .values({
                ...ownershipOnCreate(),
                ...values,
                project,
                environment,
                created_at: now,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
        checkDefaultsWithinQuota(mergeDefaults(weakestFirst(defaultsRows)), row, project, environment);
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
