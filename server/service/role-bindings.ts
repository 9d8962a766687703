import { randomBytes } from "node:crypto";
import type { Selectable } from "kysely";
import {
  TenancyError,
  parseOrThrow,
  roleBindingCreateSchema,
  roleBindingKey,
  type RoleBinding,
} from "../../model";
import type { RoleBindingTable } from "../store/schema";
import { authorize, environmentsVisibleTo } from "./access";
import { systemClock, type Actor, type ExpectedVersion, type ServiceDeps } from "./context";
import { loadEnvironment } from "./environment-rows";
import { createOnce } from "./idempotency";
import { loadProject, refuseArchived } from "./projects";
import { checkVersion, notFound } from "./errors";
import { iso, optional } from "./rows";
import { checkClaim, managedByOf, ownershipOnCreate } from "./ownership";
import { audit, transaction } from "./transaction";
import { writeContext } from "./write-context";

const kind = "RoleBinding";

function toBinding(row: Selectable<RoleBindingTable>): RoleBinding {
  return {
    id: row.id,
    project: row.project,
    environment: optional(row.environment),
    subject: row.subject,
    role: row.role as RoleBinding["role"],
    expiresAt: row.expires_at === null ? undefined : iso(row.expires_at),
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

export function roleBindingService({ db, keyring, clock = systemClock }: ServiceDeps) {
  return {
    /** A project's bindings: all of them for project-wide viewers, else those of the caller's
     * environments. Expired bindings only when asked for (`expired`). */
    async list(
      actor: Actor,
      project: string,
      filter: { environment?: string; subject?: string; expired?: boolean } = {},
    ) {
      await loadProject(db, project);
      let query = db.selectFrom("role_bindings").selectAll().where("project", "=", project);
      if (!filter.expired) {
        const now = clock.now();
        query = query.where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]));
      }
      if (filter.environment !== undefined) query = query.where("environment", "=", filter.environment);
      if (filter.subject !== undefined) query = query.where("subject", "=", filter.subject);
      const visible = await environmentsVisibleTo(db, actor, project);
      if (visible !== "all") query = query.where("environment", "in", visible);
      const rows = await query.orderBy("environment").orderBy("subject").orderBy("role").execute();
      return rows.map(toBinding);
    },

    async get(actor: Actor, project: string, id: string): Promise<RoleBinding> {
      const row = await db
        .selectFrom("role_bindings")
        .selectAll()
        .where("project", "=", project)
        .where("id", "=", id)
        .executeTakeFirst();
      if (!row) throw notFound(kind, id);
      await authorize(db, actor, "read", project, optional(row.environment));
      return toBinding(row);
    },

    async create(
      actor: Actor,
      project: string,
      body: unknown,
      idempotencyKey?: string,
    ): Promise<RoleBinding> {
      const input = parseOrThrow(roleBindingCreateSchema, body, "role binding");
      const target = { kind, id: roleBindingKey({ project, ...input }) };
      const request = { key: idempotencyKey, operation: `role-binding.create:${project}`, body: input };
      return createOnce(db, keyring, actor, request, target, async (tx) => {
        await authorize(tx, actor, "manage-bindings", project, input.environment);
        refuseArchived(await loadProject(tx, project), "role bindings");
        if (input.environment !== undefined) await loadEnvironment(tx, project, input.environment);
        const now = clock.now();
        const expiresAt = input.expiresAt === undefined ? null : new Date(input.expiresAt);
        if (expiresAt !== null && expiresAt <= now) {
          throw new TenancyError(
            "validation_failed",
            `role binding ${target.id}: expiresAt ${input.expiresAt} has passed`,
            {
              errors: [{ path: "expiresAt", message: "an instant in the future" }],
              target,
            },
          );
        }
        // Bindings have no update: taking one over (adopt, or its own resource creating it again)
        // happens here, by moving the existing binding's claim.
        const existing = await tx
          .selectFrom("role_bindings")
          .selectAll()
          .where("project", "=", project)
          .where("environment", input.environment === undefined ? "is" : "=", input.environment ?? null)
          .where("subject", "=", input.subject)
          .where("role", "=", input.role)
          .forUpdate()
          .executeTakeFirst();
        const { adopt, owner } = writeContext();
        if (existing && (adopt || (owner !== undefined && existing.managed_by?.urn === owner.urn))) {
          const row = await tx
            .updateTable("role_bindings")
            .set({
              ...ownershipOnCreate(),
              expires_at: expiresAt,
              version: existing.version + 1,
              updated_at: now,
            })
            .where("id", "=", existing.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          const taken = toBinding(row);
          await audit(tx, actor, now, "role-binding.adopt", target, toBinding(existing), taken);
          return taken;
        }
        const row = await tx
          .insertInto("role_bindings")
          .values({
            ...ownershipOnCreate(),
            id: `rb_${randomBytes(12).toString("base64url")}`,
            project,
            environment: input.environment ?? null,
            subject: input.subject,
            role: input.role,
            expires_at: expiresAt,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const created = toBinding(row);
        await audit(tx, actor, now, "role-binding.create", target, undefined, created);
        return created;
      });
    },

    /** Takes effect on the next request: access is evaluated from the bindings every time. */
    async remove(actor: Actor, project: string, id: string, expected: ExpectedVersion): Promise<void> {
      await transaction(db, { kind, id }, async (tx) => {
        const before = await tx
          .selectFrom("role_bindings")
          .selectAll()
          .where("project", "=", project)
          .where("id", "=", id)
          .forUpdate()
          .executeTakeFirst();
        if (!before) throw notFound(kind, id);
        await authorize(tx, actor, "manage-bindings", project, optional(before.environment));
        // Bindings never change in place, so their version only guards against a stale delete.
        if (expected !== undefined) checkVersion(kind, id, expected, before);
        checkClaim(kind, id, before);
        await tx.deleteFrom("role_bindings").where("id", "=", id).execute();
        const binding = toBinding(before);
        await audit(
          tx,
          actor,
          clock.now(),
          "role-binding.delete",
          { kind, id: roleBindingKey(binding) },
          binding,
          undefined,
        );
      });
    },
  };
}
