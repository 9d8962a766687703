import { type Selectable } from "kysely";
import {
  TenancyError,
  environmentCreateSchema,
  environmentId,
  environmentPatchSchema,
  environmentTransferSchema,
  namespaceProblem,
  parseOrThrow,
  type Approval,
  type Environment,
} from "../../model";
import type { EnvironmentTable } from "../store/schema";
import { authorize, environmentsVisibleTo } from "./access";
import {
  prefetchedRow,
  systemClock,
  type Actor,
  type ExpectedVersion,
  type Jsonable,
  type ServiceDeps,
} from "./context";
import { loadDomain } from "./domains";
import { createOnce } from "./idempotency";
import { loadProject, refuseArchived } from "./projects";
import { checkVersion, requireExpectedVersion } from "./errors";
import { json } from "./rows";
import { checkClaim, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { writeContext } from "./write-context";
import { loadEnvironment, refuseProtected, toEnvironment } from "./environment-rows";
import { lockProjectEnvironments, move } from "./environment-transfer";
import { deleteGoingWith } from "./environment-deletion";
import { checkPlacement } from "./clusters";
import { audit, auditEntry, transaction } from "./transaction";
import { auditAndCheckCeilingsAbove, recountProjectCeilings } from "./ceiling-locks";

const kind = "Environment";

/** The stored approval: its approvers once each, `required` spelled out. */
function approvalColumn(approval: Approval | null | undefined) {
  return approval ? { approvers: [...new Set(approval.approvers)], required: approval.required ?? 1 } : null;
}

function checkNamespace(project: string, name: string) {
  const problem = namespaceProblem(project, name);
  if (problem) {
    throw new TenancyError("validation_failed", `environment ${project}/${name}: ${problem}`, {
      errors: [{ path: "name", message: problem }],
    });
  }
}

export function environmentService({ db, keyring, clock = systemClock }: ServiceDeps) {
  return {
    /** A project's environments the caller may read: all with a project-wide binding, else its own. */
    async list(actor: Actor, project: string): Promise<Environment[]> {
      await loadProject(db, project);
      let query = db.selectFrom("environments").selectAll().where("project", "=", project).orderBy("name");
      const visible = await environmentsVisibleTo(db, actor, project);
      if (visible !== "all") query = query.where("name", "in", visible);
      return (await query.execute()).map(toEnvironment);
    },

    async get(actor: Actor, project: string, name: string): Promise<Environment> {
      await authorize(db, actor, "read", project, name);
      const row = prefetchedRow<Jsonable<Selectable<EnvironmentTable>>>(actor, "environment", project, name);
      return toEnvironment(row ?? (await loadEnvironment(db, project, name)));
    },

    async create(
      actor: Actor,
      project: string,
      body: unknown,
      idempotencyKey?: string,
    ): Promise<Environment> {
      const input = parseOrThrow(environmentCreateSchema, body, "environment");
      const name = input.name ?? input.domain;
      const id = environmentId(project, name);
      checkNamespace(project, name);
      const request = { key: idempotencyKey, operation: `environment.create:${project}`, body: input };
      return createOnce(db, keyring, actor, request, { kind, id }, async (tx) => {
        await authorize(tx, actor, "create", project);
        refuseArchived(await loadProject(tx, project, "update"), "environments");
        await loadDomain(tx, input.domain).catch((err) => {
          throw TenancyError.isInstance(err) && err.code === "not_found"
            ? new TenancyError("validation_failed", `domain ${input.domain} does not exist`, {
                errors: [{ path: "domain", message: `domain ${input.domain} does not exist` }],
                target: { kind, id },
              })
            : err;
        });
        await checkPlacement(tx, input.clusters);
        const now = clock.now();
        const row = await tx
          .insertInto("environments")
          .values({
            ...ownershipOnCreate(),
            project,
            name,
            domain: input.domain,
            description: input.description ?? null,
            labels: json(input.labels),
            protected: input.protected ?? false,
            clusters: json(input.clusters),
            approval: json(approvalColumn(input.approval)),
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const created = toEnvironment(row);
        await audit(tx, actor, now, "environment.create", { kind, id }, undefined, created);
        return created;
      });
    },

    /** Changes an environment; a new `project` moves it, with what is bound to it, in the same
     * transaction (see transfer). */
    async update(actor: Actor, project: string, name: string, body: unknown, expected: ExpectedVersion) {
      const patch = parseOrThrow(environmentPatchSchema, body, "environment change");
      const id = environmentId(project, name);
      const version = requireExpectedVersion(expected, kind, id);
      const destination =
        patch.project !== undefined && patch.project !== project ? patch.project : undefined;
      if (destination !== undefined) checkNamespace(destination, name);
      return transaction(db, { kind, id }, async (tx) => {
        if (destination === undefined) await authorize(tx, actor, "change", project, name);
        const inProject = destination !== undefined ? await lockProjectEnvironments(tx, project) : [];
        const before = await loadEnvironment(tx, project, name, true);
        checkClaim(kind, id, before);
        checkVersion(kind, id, version, before);
        if (destination !== undefined) await move(tx, actor, before, destination, inProject);
        await checkPlacement(tx, patch.clusters);
        const now = clock.now();
        const row = await tx
          .updateTable("environments")
          .set({
            ...(destination !== undefined ? { project: destination } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.labels !== undefined ? { labels: json(patch.labels) } : {}),
            ...(patch.protected !== undefined ? { protected: patch.protected } : {}),
            ...(patch.clusters !== undefined ? { clusters: json(patch.clusters) } : {}),
            ...(patch.approval !== undefined ? { approval: json(approvalColumn(patch.approval)) } : {}),
            ...ownershipOnUpdate(before),
            version: before.version + 1,
            updated_at: now,
          })
          .where("project", "=", project)
          .where("name", "=", name)
          .returningAll()
          .executeTakeFirstOrThrow();
        const after = toEnvironment(row);
        if (destination === undefined) {
          await audit(tx, actor, now, "environment.update", { kind, id }, toEnvironment(before), after);
          return after;
        }
        // Its reservations moved too: both projects' ceilings count afresh (locking them first, in
        // the lock order), then the destination's must hold what moved in (its quota).
        await recountProjectCeilings(tx, project, destination);
        const entry = auditEntry(
          actor,
          now,
          "environment.transfer",
          { kind, id },
          toEnvironment(before),
          after,
        );
        await auditAndCheckCeilingsAbove(tx, destination, row.domain, entry);
        return after;
      });
    },

    async remove(actor: Actor, project: string, name: string, expected: ExpectedVersion): Promise<void> {
      const id = environmentId(project, name);
      const version = requireExpectedVersion(expected, kind, id);
      await transaction(db, { kind, id }, async (tx) => {
        await authorize(tx, actor, "delete", project, name);
        const before = await loadEnvironment(tx, project, name, true);
        checkClaim(kind, id, before);
        checkVersion(kind, id, version, before);
        refuseProtected(before, "deleted");
        // From its own resource: what Pulumi deletes with it (it skips their deletes) goes too.
        if (writeContext().claim !== undefined && before.managed_by !== null) {
          await deleteGoingWith(tx, actor, clock.now(), before.managed_by.urn, project, name);
        }
        const [quota, secrets, reservations] = await Promise.all([
          tx
            .selectFrom("quotas")
            .select("project")
            .where("project", "=", project)
            .where("environment", "=", name)
            .executeTakeFirst(),
          tx
            .selectFrom("secrets")
            .select("name")
            .where("project", "=", project)
            .where("environment", "=", name)
            .execute(),
          tx
            .selectFrom("reservations")
            .select("id")
            .where("project", "=", project)
            .where("environment", "=", name)
            .limit(1)
            .execute(),
        ]);
        const blockers = [
          quota ? "a quota" : undefined,
          secrets.length > 0 ? `secret bindings ${secrets.map((s) => s.name).join(", ")}` : undefined,
          reservations.length > 0 ? "live reservations" : undefined,
        ].filter(Boolean);
        if (blockers.length > 0) {
          throw new TenancyError(
            "conflict",
            `environment ${id} still has ${blockers.join(" and ")}; delete them first`,
            {
              target: { kind, id },
            },
          );
        }
        // Its own defaults and role bindings describe nothing once it is gone.
        await tx
          .deleteFrom("resource_defaults")
          .where("project", "=", project)
          .where("environment", "=", name)
          .execute();
        await tx
          .deleteFrom("role_bindings")
          .where("project", "=", project)
          .where("environment", "=", name)
          .execute();
        await tx.deleteFrom("environments").where("project", "=", project).where("name", "=", name).execute();
        await audit(
          tx,
          actor,
          clock.now(),
          "environment.delete",
          { kind, id },
          toEnvironment(before),
          undefined,
        );
      });
    },

    /**
     * Moves an environment to another project with its quota, defaults, secret bindings, role
     * bindings and reservations, in one statement (the foreign keys cascade the new project).
     */
    async transfer(actor: Actor, project: string, name: string, body: unknown, expected: ExpectedVersion) {
      const { project: destination } = parseOrThrow(environmentTransferSchema, body, "transfer");
      if (destination === project) {
        const id = environmentId(project, name);
        throw new TenancyError("validation_failed", `environment ${id} is already in project ${project}`, {
          errors: [{ path: "project", message: "must differ from the current project" }],
        });
      }
      return this.update(actor, project, name, { project: destination }, expected);
    },
  };
}
