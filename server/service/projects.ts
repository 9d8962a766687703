import type { Selectable } from "kysely";
import {
  TenancyError,
  parseOrThrow,
  projectCreateSchema,
  projectPatchSchema,
  type Project,
} from "../../model";
import type { ProjectTable } from "../store/schema";
import { authorize, authorizeProjectRead, requireOrgAdmin, visibleScopes } from "./access";
import { systemClock, type Actor, type ExpectedVersion, type Queryable, type ServiceDeps } from "./context";
import { createOnce } from "./idempotency";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { iso, json, optional } from "./rows";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { audit, transaction } from "./transaction";

const kind = "Project";

function toProject(row: Selectable<ProjectTable>): Project {
  return {
    name: row.name,
    displayName: optional(row.display_name),
    description: optional(row.description),
    labels: optional(row.labels),
    archived: row.archived,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

/** A project's row; `lock` locks it for the transaction: exclusive (`update`) or `share`. */
export async function loadProject(q: Queryable, name: string, lock?: "update" | "share") {
  let query = q.selectFrom("projects").selectAll().where("name", "=", name);
  if (lock === "update") query = query.forUpdate();
  if (lock === "share") query = query.forShare();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(kind, name);
  return row;
}

/** Archived projects accept no new environments, bindings or reservations. */
export function refuseArchived(project: Pick<Selectable<ProjectTable>, "name" | "archived">, what: string) {
  if (project.archived) {
    throw new TenancyError(
      "archived",
      `project ${project.name} is archived and accepts no new ${what}; unarchive it first`,
      {
        target: { kind, id: project.name },
      },
    );
  }
}

export function projectService({ db, keyring, clock = systemClock }: ServiceDeps) {
  return {
    /** The projects the caller holds a role in (all of them for org admins). */
    async list(actor: Actor): Promise<Project[]> {
      const scopes = await visibleScopes(db, actor);
      let query = db.selectFrom("projects").selectAll().orderBy("name");
      if (scopes !== undefined) {
        const names = [...new Set(scopes.map((s) => s.project))];
        if (names.length === 0) return [];
        query = query.where("name", "in", names);
      }
      return (await query.execute()).map(toProject);
    },

    async get(actor: Actor, name: string): Promise<Project> {
      await authorizeProjectRead(db, actor, name);
      return toProject(await loadProject(db, name));
    },

    /** A new project has no bindings yet, so only org admins create projects. */
    async create(actor: Actor, body: unknown, idempotencyKey?: string): Promise<Project> {
      requireOrgAdmin(actor, "create projects");
      const input = parseOrThrow(projectCreateSchema, body, "project");
      const target = { kind, id: input.name };
      return createOnce(
        db,
        keyring,
        actor,
        { key: idempotencyKey, operation: "project.create", body: input },
        target,
        async (tx) => {
          const now = clock.now();
          const row = await tx
            .insertInto("projects")
            .values({
              ...ownershipOnCreate(),
              name: input.name,
              display_name: input.displayName ?? null,
              description: input.description ?? null,
              labels: json(input.labels),
              archived: input.archived ?? false,
              created_at: now,
              updated_at: now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const created = toProject(row);
          await audit(tx, actor, now, "project.create", target, undefined, created);
          return created;
        },
      );
    },

    async update(actor: Actor, name: string, body: unknown, expected: ExpectedVersion): Promise<Project> {
      const patch = parseOrThrow(projectPatchSchema, body, "project change");
      const version = requireExpectedVersion(expected, kind, name);
      return transaction(db, { kind, id: name }, async (tx) => {
        await authorize(tx, actor, "change", name);
        const before = await loadProject(tx, name, "update");
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        const now = clock.now();
        const row = await tx
          .updateTable("projects")
          .set({
            ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.labels !== undefined ? { labels: json(patch.labels) } : {}),
            ...(patch.archived !== undefined ? { archived: patch.archived } : {}),
            ...ownershipOnUpdate(before),
            version: before.version + 1,
            updated_at: now,
          })
          .where("name", "=", name)
          .returningAll()
          .executeTakeFirstOrThrow();
        const after = toProject(row);
        await audit(tx, actor, now, "project.update", { kind, id: name }, toProject(before), after);
        return after;
      });
    },

    async remove(actor: Actor, name: string, expected: ExpectedVersion): Promise<void> {
      const version = requireExpectedVersion(expected, kind, name);
      await transaction(db, { kind, id: name }, async (tx) => {
        await authorize(tx, actor, "delete", name);
        const before = await loadProject(tx, name, "update");
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        const environments = await tx
          .selectFrom("environments")
          .select("name")
          .where("project", "=", name)
          .execute();
        if (environments.length > 0) {
          throw new TenancyError(
            "conflict",
            `project ${name} still has environments ${environments.map((e) => e.name).join(", ")}; delete or transfer them first`,
            { target: { kind, id: name } },
          );
        }
        // Project-wide defaults, role bindings and the ceiling go with the project.
        await tx.deleteFrom("resource_defaults").where("project", "=", name).execute();
        await tx.deleteFrom("ceilings").where("project", "=", name).execute();
        await tx.deleteFrom("role_bindings").where("project", "=", name).execute();
        await tx.deleteFrom("projects").where("name", "=", name).execute();
        await audit(
          tx,
          actor,
          clock.now(),
          "project.delete",
          { kind, id: name },
          toProject(before),
          undefined,
        );
      });
    },
  };
}
