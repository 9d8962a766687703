import { sql, type Selectable } from "kysely";
import {
  parseOrThrow,
  resourceDefaultsSpecSchema,
  scopeId,
  type DefaultsScope,
  resourceKinds,
  type ErrorTarget,
  type ResourceDefaults,
} from "../../model";
import type { ResourceDefaultsTable } from "../store/schema";
import { authorize, requireOrgAdmin } from "./access";
import { systemClock, type Actor, type ExpectedVersion, type Queryable, type ServiceDeps } from "./context";
import { loadDomain } from "./domains";
import { inScope } from "./defaults-merge";
import { refusalError } from "./refusals";
import { loadEnvironment } from "./environment-rows";
import { loadProject } from "./projects";
import { checkVersion, notFound, requireExpectedVersion, versionMismatch } from "./errors";
import { iso, json, optional } from "./rows";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { audit, transaction } from "./transaction";

const kind = "ResourceDefaults";

function toDefaults(row: Selectable<ResourceDefaultsTable>, scope: DefaultsScope): ResourceDefaults {
  return {
    scope: scopeId(scope),
    domain: optional(row.domain),
    project: optional(row.project),
    environment: optional(row.environment),
    requests: optional(row.requests),
    limits: optional(row.limits),
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

async function findDefaults(q: Queryable, scope: DefaultsScope, forUpdate = false) {
  let query = q.selectFrom("resource_defaults as d").selectAll().where(inScope(scope));
  if (forUpdate) query = query.forUpdate();
  return query.executeTakeFirst();
}

/** The scope must exist, and the caller must hold the role the operation needs on it. */
async function authorizeScope(
  q: Queryable,
  actor: Actor,
  scope: DefaultsScope,
  operation: "read" | "create" | "change" | "delete",
) {
  switch (scope.kind) {
    case "domain":
      await loadDomain(q, scope.domain);
      if (operation !== "read") requireOrgAdmin(actor, "change domain defaults");
      return;
    case "project":
      await loadProject(q, scope.project);
      return authorize(q, actor, operation, scope.project);
    case "environment":
      await loadEnvironment(q, scope.project, scope.environment);
      return authorize(q, actor, operation, scope.project, scope.environment);
  }
}

/** The environments a scope's defaults reach (as `environments as e`). */
function environmentsReached(q: Queryable, scope: DefaultsScope) {
  let query = q.selectFrom("environments as e");
  if (scope.kind === "domain") query = query.where("e.domain", "=", scope.domain);
  else query = query.where("e.project", "=", scope.project);
  if (scope.kind === "environment") query = query.where("e.name", "=", scope.environment);
  return query;
}

/**
 * The environments a scope's defaults reach, held in share mode (in name order, so two holders
 * cannot deadlock): a quota write locks its environment before it reads the defaults, so a quota
 * and the defaults above it written at once are judged one after the other, each against the
 * other's new row. Taken before the defaults row, in the order every environment-first write
 * (quota, transfer, deletion) takes its locks.
 */
async function holdEnvironmentsReached(q: Queryable, scope: DefaultsScope) {
  await environmentsReached(q, scope)
    .select("e.name")
    .orderBy("e.project")
    .orderBy("e.name")
    .forShare()
    .execute();
}

/** Refuses when, with the defaults as they now are, a default asks for more than the quota of an
 * environment it reaches (tenancy_defaults_refusal judges; the first environment refused, in name
 * order, is named). */
async function checkWithinQuotas(q: Queryable, scope: DefaultsScope, target: ErrorTarget) {
  const refused = await environmentsReached(q, scope)
    .innerJoin("quotas as q", (join) =>
      join.onRef("q.project", "=", "e.project").onRef("q.environment", "=", "e.name"),
    )
    .select(
      sql<unknown>`tenancy_defaults_refusal(e.project, e.name, e.domain, jsonb_build_object(${sql.join(
        resourceKinds.map((k) => sql`${sql.lit(k)}::text, ${sql.ref(`q.${k}`)}`),
      )}))`.as("refusal"),
    )
    .orderBy("e.project")
    .orderBy("e.name")
    .execute();
  const first = refused.find((row) => row.refusal !== null);
  if (first) throw refusalError(target, first.refusal);
}

export function defaultsService({ db, clock = systemClock }: ServiceDeps) {
  return {
    /** The own defaults of a project's environments named in `environments`, by environment, in
     * one statement: for callers that already hold read on those environments. */
    async ofEnvironments(project: string, environments: readonly string[]) {
      const found = new Map<string, ResourceDefaults>();
      if (environments.length === 0) return found;
      const rows = await db
        .selectFrom("resource_defaults")
        .selectAll()
        .where("project", "=", project)
        .where("environment", "in", environments)
        .execute();
      for (const row of rows) {
        const environment = row.environment!;
        found.set(environment, toDefaults(row, { kind: "environment", project, environment }));
      }
      return found;
    },

    async get(actor: Actor, scope: DefaultsScope): Promise<ResourceDefaults> {
      const id = scopeId(scope);
      await authorizeScope(db, actor, scope, "read");
      const row = await findDefaults(db, scope);
      if (!row) throw notFound(kind, id);
      return toDefaults(row, scope);
    },

    /** Creates or replaces the scope's defaults; replacing needs If-Match. */
    async put(actor: Actor, scope: DefaultsScope, body: unknown, expected: ExpectedVersion) {
      const spec = parseOrThrow(resourceDefaultsSpecSchema, body, "resource defaults");
      const id = scopeId(scope);
      return transaction(db, { kind, id }, async (tx) => {
        await holdEnvironmentsReached(tx, scope);
        const before = await findDefaults(tx, scope, true);
        await authorizeScope(tx, actor, scope, before ? "change" : "create");
        if (before) {
          checkClaim(kind, id, before);
          checkVersion(kind, id, requireExpectedVersion(expected, kind, id), before);
        } else if (expected !== undefined) throw versionMismatch(kind, id, expected, 0);
        const now = clock.now();
        const values = { requests: json(spec.requests), limits: json(spec.limits), updated_at: now };
        const row = before
          ? await tx
              .updateTable("resource_defaults")
              .set({ ...values, ...ownershipOnUpdate(before), version: before.version + 1 })
              .where("id", "=", before.id)
              .returningAll()
              .executeTakeFirstOrThrow()
          : await tx
              .insertInto("resource_defaults")
              .values({
                ...ownershipOnCreate(),
                ...values,
                domain: scope.kind === "domain" ? scope.domain : null,
                project: scope.kind === "domain" ? null : scope.project,
                environment: scope.kind === "environment" ? scope.environment : null,
                created_at: now,
              })
              .returningAll()
              .executeTakeFirstOrThrow();
        await checkWithinQuotas(tx, scope, { kind, id });
        const after = toDefaults(row, scope);
        await audit(
          tx,
          actor,
          now,
          before ? "defaults.update" : "defaults.create",
          { kind, id },
          before && toDefaults(before, scope),
          after,
        );
        return after;
      });
    },

    async remove(actor: Actor, scope: DefaultsScope, expected: ExpectedVersion) {
      const id = scopeId(scope);
      const version = requireExpectedVersion(expected, kind, id);
      await transaction(db, { kind, id }, async (tx) => {
        await authorizeScope(tx, actor, scope, "delete");
        await holdEnvironmentsReached(tx, scope);
        const before = await findDefaults(tx, scope, true);
        if (!before) throw notFound(kind, id);
        checkClaim(kind, id, before);
        checkVersion(kind, id, version, before);
        await tx.deleteFrom("resource_defaults").where("id", "=", before.id).execute();
        // What this scope's defaults covered falls back to a weaker scope's, which must fit too.
        await checkWithinQuotas(tx, scope, { kind, id });
        await audit(
          tx,
          actor,
          clock.now(),
          "defaults.delete",
          { kind, id },
          toDefaults(before, scope),
          undefined,
        );
      });
    },
  };
}
