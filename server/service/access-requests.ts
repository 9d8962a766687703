// Just-in-time access: anyone signed in asks for a role on a project (or one environment) for a
// while; a project admin (or one of the environment's approvers) approves, and the request becomes a
// role binding that stops granting at its expiry, whether or not anything sweeps it.
import { randomBytes } from "node:crypto";
import type { Selectable } from "kysely";
import {
  TenancyError,
  accessGrantManager,
  accessRequestCreateSchema,
  decisionBodySchema,
  durationMs,
  parseOrThrow,
  requestLifetimeMs,
  roleBindingKey,
  type AccessRequest,
} from "../../model";
import type { AccessRequestTable } from "../store/schema";
import { roleOn } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps, type Tx } from "./context";
import { notFound } from "./errors";
import { statusAt, statusIs } from "./change-requests";
import { loadEnvironment } from "./environment-rows";
import { loadProject, refuseArchived } from "./projects";
import {
  approvalOf,
  decisionsOf,
  isApprover,
  refuseCancel,
  refuseUndecidable,
  type Decision,
} from "./request-decisions";
import { iso, json, optional } from "./rows";
import { audit, transaction } from "./transaction";

const kind = "AccessRequest";

/** The longest access a request may ask for unless the server says otherwise (`--max-access`). */
export const defaultMaxAccess = "8h";

/** Who may decide on an access request: an admin of the project (a project-wide binding, or one on
 * the environment asked for), or one of that environment's approvers. */
async function mayDecide(q: Queryable, actor: Actor, row: Selectable<AccessRequestTable>): Promise<boolean> {
  if (actor.orgAdmin) return true;
  if ((await roleOn(q, actor, row.project, optional(row.environment))) === "admin") return true;
  if (row.environment === null) return false;
  const approval = await approvalOf(q, row.project, row.environment);
  return approval ? isApprover(q, actor, approval.approvers) : false;
}

export function accessRequestService({ db, clock = systemClock, maxAccess = defaultMaxAccess }: ServiceDeps) {
  async function toAccessRequest(q: Queryable, row: Selectable<AccessRequestTable>): Promise<AccessRequest> {
    return {
      kind,
      id: row.id,
      project: row.project,
      environment: optional(row.environment),
      requester: row.requester,
      role: row.role as AccessRequest["role"],
      duration: durationText(row.duration_seconds),
      reason: row.reason,
      status: statusAt(row, clock.now()) as AccessRequest["status"],
      approvals: await decisionsOf(q, row.id),
      bindingId: optional(row.binding_id),
      bindingExpiresAt: row.binding_expires_at === null ? undefined : iso(row.binding_expires_at),
      createdAt: iso(row.created_at),
      expiresAt: iso(row.expires_at),
      decidedAt: row.decided_at === null ? undefined : iso(row.decided_at),
    };
  }

  /** Its requester sees a request, and whoever may decide on it; for anyone else it does not exist. */
  async function visible(q: Queryable, actor: Actor, id: string, lock = false) {
    let query = q.selectFrom("access_requests").selectAll().where("id", "=", id);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row || !(row.requester === actor.subject || (await mayDecide(q, actor, row))))
      throw notFound(kind, id);
    return row;
  }

  async function decide(tx: Tx, actor: Actor, row: Selectable<AccessRequestTable>, decision: Decision) {
    refuseUndecidable(kind, row.id, statusAt(row, clock.now()), row.requester, actor);
    const now = clock.now();
    await tx
      .insertInto("request_approvals")
      .values({
        request_id: row.id,
        approver: actor.subject,
        decision: decision.decision,
        comment: decision.comment ?? null,
        at: now,
      })
      .execute();
    let binding: { id: string; expiresAt: Date } | undefined;
    if (decision.decision === "approve") binding = await grant(tx, actor, row, now);
    await tx
      .updateTable("access_requests")
      .set({
        status: decision.decision === "approve" ? "approved" : "rejected",
        decided_at: now,
        ...(binding ? { binding_id: binding.id, binding_expires_at: binding.expiresAt } : {}),
      })
      .where("id", "=", row.id)
      .execute();
    await audit(
      tx,
      actor,
      now,
      `access-request.${decision.decision}`,
      { kind, id: row.id },
      { status: "pending" },
      {
        status: decision.decision === "approve" ? "approved" : "rejected",
        requester: row.requester,
        approver: actor.subject,
        ...(binding ? { bindingId: binding.id, expiresAt: iso(binding.expiresAt) } : {}),
      },
    );
  }

  /** The binding an approved request becomes, managed by the request, expiring after its duration
   * from the approval. */
  async function grant(tx: Tx, actor: Actor, row: Selectable<AccessRequestTable>, now: Date) {
    refuseArchived(await loadProject(tx, row.project), "role bindings");
    if (row.environment !== null) await loadEnvironment(tx, row.project, row.environment);
    const expiresAt = new Date(now.getTime() + row.duration_seconds * 1000);
    const identity = {
      project: row.project,
      environment: optional(row.environment),
      subject: row.requester,
      role: row.role,
    };
    const managedBy = json({ stack: accessGrantManager, urn: `access-request:${row.id}` });
    const existing = await tx
      .selectFrom("role_bindings")
      .selectAll()
      .where("project", "=", row.project)
      .where("environment", row.environment === null ? "is" : "=", row.environment)
      .where("subject", "=", row.requester)
      .where("role", "=", row.role)
      .forUpdate()
      .executeTakeFirst();
    if (existing && existing.expires_at === null) {
      throw new TenancyError(
        "conflict",
        `${row.requester} already holds ${row.role} on ${[row.project, row.environment].filter(Boolean).join("/")} without expiry`,
        { target: { kind, id: row.id } },
      );
    }
    // An earlier grant of the same role (expired, or still running) is renewed in place.
    const id = existing?.id ?? `rb_${randomBytes(12).toString("base64url")}`;
    if (existing) {
      await tx
        .updateTable("role_bindings")
        .set({
          expires_at: expiresAt,
          managed_by: managedBy,
          claim: null,
          version: existing.version + 1,
          updated_at: now,
        })
        .where("id", "=", id)
        .execute();
    } else {
      await tx
        .insertInto("role_bindings")
        .values({
          id,
          ...identity,
          environment: row.environment,
          expires_at: expiresAt,
          managed_by: managedBy,
          claim: null,
          created_at: now,
          updated_at: now,
        })
        .execute();
    }
    await audit(
      tx,
      actor,
      now,
      "role-binding.create",
      { kind: "RoleBinding", id: roleBindingKey(identity) },
      undefined,
      {
        id,
        project: row.project,
        environment: optional(row.environment),
        subject: row.requester,
        role: row.role,
        expiresAt: iso(expiresAt),
        accessRequest: row.id,
      },
    );
    return { id, expiresAt };
  }

  return {
    async create(actor: Actor, body: unknown): Promise<AccessRequest> {
      const input = parseOrThrow(accessRequestCreateSchema, body, "access request");
      if (actor.cluster !== undefined) {
        throw new TenancyError("forbidden", "a sync token may not ask for access");
      }
      if (durationMs(input.duration) > durationMs(maxAccess)) {
        throw new TenancyError(
          "validation_failed",
          `duration ${input.duration} is longer than this server allows (${maxAccess})`,
          {
            errors: [{ path: "duration", message: `at most ${maxAccess}` }],
          },
        );
      }
      const now = clock.now();
      const id = `ar_${randomBytes(12).toString("base64url")}`;
      return transaction(db, { kind, id }, async (tx) => {
        await loadProject(tx, input.project);
        if (input.environment !== undefined) await loadEnvironment(tx, input.project, input.environment);
        const row = await tx
          .insertInto("access_requests")
          .values({
            id,
            project: input.project,
            environment: input.environment ?? null,
            requester: actor.subject,
            requester_name: actor.name,
            role: input.role,
            duration_seconds: durationMs(input.duration) / 1000,
            reason: input.reason,
            status: "pending",
            created_at: now,
            expires_at: new Date(now.getTime() + requestLifetimeMs),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(tx, actor, now, "access-request.create", { kind, id }, undefined, {
          project: input.project,
          environment: input.environment,
          role: input.role,
          duration: input.duration,
          reason: input.reason,
        });
        return toAccessRequest(tx, row);
      });
    },

    /** The requests the actor made or may decide on, newest first. */
    async list(
      actor: Actor,
      filter: { status?: string; project?: string; environment?: string } = {},
    ): Promise<AccessRequest[]> {
      let query = db.selectFrom("access_requests").selectAll().orderBy("created_at", "desc").limit(500);
      if (filter.project !== undefined) query = query.where("project", "=", filter.project);
      if (filter.environment !== undefined) query = query.where("environment", "=", filter.environment);
      if (filter.status !== undefined) query = query.where(statusIs(filter.status, clock.now()));
      const shown: AccessRequest[] = [];
      for (const row of await query.execute()) {
        if (row.requester === actor.subject || (await mayDecide(db, actor, row)))
          shown.push(await toAccessRequest(db, row));
      }
      return shown;
    },

    async get(actor: Actor, id: string): Promise<AccessRequest> {
      return toAccessRequest(db, await visible(db, actor, id));
    },

    async approve(actor: Actor, id: string, body: unknown) {
      return this.decide(actor, id, {
        decision: "approve",
        ...parseOrThrow(decisionBodySchema, body ?? {}, "approval"),
      });
    },

    async reject(actor: Actor, id: string, body: unknown) {
      return this.decide(actor, id, {
        decision: "reject",
        ...parseOrThrow(decisionBodySchema, body ?? {}, "rejection"),
      });
    },

    async decide(actor: Actor, id: string, decision: Decision): Promise<AccessRequest> {
      await transaction(db, { kind, id }, async (tx) => {
        const row = await visible(tx, actor, id, true);
        if (!(await mayDecide(tx, actor, row))) {
          throw new TenancyError(
            "forbidden",
            `${actor.subject} may not decide on ${kind} ${id}: its deciders are the admins of project ${row.project}` +
              (row.environment ? ` and the approvers of environment ${row.project}/${row.environment}` : ""),
            { target: { kind, id } },
          );
        }
        await decide(tx, actor, row, decision);
      });
      return this.get(actor, id);
    },

    /** Withdraws a pending request: its requester only. */
    async cancel(actor: Actor, id: string): Promise<AccessRequest> {
      await transaction(db, { kind, id }, async (tx) => {
        const row = await visible(tx, actor, id, true);
        refuseCancel(kind, id, statusAt(row, clock.now()), row.requester, actor);
        const now = clock.now();
        await tx
          .updateTable("access_requests")
          .set({ status: "cancelled", decided_at: now })
          .where("id", "=", id)
          .execute();
        await audit(
          tx,
          actor,
          now,
          "access-request.cancelled",
          { kind, id },
          { status: "pending" },
          { status: "cancelled" },
        );
      });
      return this.get(actor, id);
    },
  };
}

/** Seconds as the request wrote them: the largest unit that divides them. */
function durationText(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3_600 === 0) return `${seconds / 3_600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
