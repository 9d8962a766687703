// Change requests: a write to a guarded environment (one with `approval`) by someone who may make it
// but is not among its approvers waits here, sealed, until enough approvers approve it; it is then
// applied as its author in the transaction that records the last approval, if its target is still
// at the version the request was made against (else the request turns stale).
import { randomBytes } from "node:crypto";
import { sql, type Selectable } from "kysely";
import {
  TenancyError,
  changeRequestStatuses,
  decisionBodySchema,
  parseOrThrow,
  requestLifetimeMs,
  type ChangeRequest,
  type ErrorTarget,
  type FieldChange,
} from "../../model";
import type { ChangeRequestTable, StoredActor } from "../store/schema";
import { authorize } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps, type Tx } from "./context";
import { notFound } from "./errors";
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

const kind = "ChangeRequest";

/** What a request of an environment no longer guarded shows: only org admins approve it. */
const noApproval = { approvers: [] as string[], required: 1 };

/** The write a change request holds, exactly as its author sent it (sealed at rest). */
export interface StoredWrite {
  operationId: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  expectedVersion?: number;
  owner?: { stack: string; urn: string; deletedWith?: string };
  claim?: string;
  adopt: boolean;
}

/** A write the HTTP layer found guarded: what it is, and what it would change. */
export interface GuardedWrite {
  project: string;
  environment: string;
  target: ErrorTarget;
  /** `METHOD /v1/…` with the route's own parameter names. */
  operation: string;
  write: StoredWrite;
  baseVersion: number | null;
  diff: FieldChange[];
}

/** Applies a request's write again, as its author: the HTTP layer runs the route it was sent to. */
export interface Replay {
  /** The target's version now; null when it does not exist. */
  currentVersion(): Promise<number | null>;
  /** Runs the write with `approving` joining its transaction. */
  run(approving: (tx: Tx) => Promise<void>): Promise<unknown>;
}

export type Replayer = (write: StoredWrite, author: Actor) => Replay;

/** Thrown inside an apply whose request another approver decided first: undoes this apply. */
class AlreadyDecided extends Error {}

/** Errors that say the target is no longer what the request was made against. */
const staleCodes = new Set(["version_mismatch", "conflict", "not_found"]);

/** The status a row shows: a pending request past its expiry is expired, swept or not. */
export function statusAt(row: { status: string; expires_at: Date | string }, now: Date): string {
  return row.status === "pending" && new Date(row.expires_at) <= now ? "expired" : row.status;
}

export function changeRequestService({ db, keyring, clock = systemClock }: ServiceDeps) {
  /** The approval the environment asks of `actor`'s writes; undefined when it approves them
   * itself (or the environment is not guarded). */
  async function approvalAsked(q: Queryable, actor: Actor, project: string, environment: string) {
    const approval = await approvalOf(q, project, environment, actor);
    if (approval === null) return undefined;
    return (await isApprover(q, actor, approval.approvers)) ? undefined : approval;
  }

  async function toChangeRequest(q: Queryable, row: Selectable<ChangeRequestTable>): Promise<ChangeRequest> {
    const approval = (await approvalOf(q, row.project, row.environment)) ?? noApproval;
    return {
      kind,
      id: row.id,
      project: row.project,
      environment: row.environment,
      author: row.author,
      operation: row.operation,
      target: { kind: row.target_kind, id: row.target_id },
      diff: row.diff,
      baseVersion: row.base_version,
      approvers: approval.approvers,
      required: approval.required,
      approvals: await decisionsOf(q, row.id),
      status: statusAt(row, clock.now()) as ChangeRequest["status"],
      comment: optional(row.comment),
      createdAt: iso(row.created_at),
      expiresAt: iso(row.expires_at),
      decidedAt: row.decided_at === null ? undefined : iso(row.decided_at),
    };
  }

  /** A request the actor may see (locked with `lock`); not_found otherwise, as for the
   * environment it concerns. */
  async function visible(q: Queryable, actor: Actor, id: string, lock = false) {
    let query = q.selectFrom("change_requests").selectAll().where("id", "=", id);
    if (lock) query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw notFound(kind, id);
    await authorize(q, actor, "read", row.project, row.environment).catch((err) => {
      throw TenancyError.isInstance(err) && err.code === "not_found" ? notFound(kind, id) : err;
    });
    return row;
  }

  function openWrite(row: Selectable<ChangeRequestTable>): StoredWrite {
    return JSON.parse(
      keyring.open(
        { keyId: row.write_key_id, nonce: row.write_nonce, ciphertext: row.write_ciphertext },
        `change-request:${row.id}`,
      ),
    ) as StoredWrite;
  }

  /** Marks a request decided without applying it (rejected, stale, expired, cancelled). */
  async function decide(
    tx: Tx,
    actor: Actor,
    row: Selectable<ChangeRequestTable>,
    status: (typeof changeRequestStatuses)[number],
    decision?: Decision,
  ) {
    const now = clock.now();
    if (decision) await recordDecision(tx, row.id, actor, decision, now);
    await tx
      .updateTable("change_requests")
      .set({ status, decided_at: now, ...(decision?.comment ? { comment: decision.comment } : {}) })
      .where("id", "=", row.id)
      .execute();
    await audit(
      tx,
      actor,
      now,
      `change-request.${status}`,
      { kind, id: row.id },
      { status: row.status },
      {
        status,
        author: row.author,
        target: { kind: row.target_kind, id: row.target_id },
      },
    );
  }

  async function recordDecision(tx: Tx, id: string, actor: Actor, decision: Decision, at: Date) {
    await tx
      .insertInto("request_approvals")
      .values({
        request_id: id,
        approver: actor.subject,
        decision: decision.decision,
        comment: decision.comment ?? null,
        at,
      })
      .onConflict((oc) => oc.columns(["request_id", "approver"]).doNothing())
      .execute();
  }

  async function approvedBy(q: Queryable, id: string): Promise<string[]> {
    const rows = await q
      .selectFrom("request_approvals")
      .select("approver")
      .where("request_id", "=", id)
      .where("decision", "=", "approve")
      .execute();
    return rows.map((r) => r.approver);
  }

  /** Checks the actor may decide on the request now: pending (a request past its expiry shows as
   * expired), not its author, among its approvers. */
  async function decidable(tx: Tx, actor: Actor, row: Selectable<ChangeRequestTable>) {
    const approval = (await approvalOf(tx, row.project, row.environment)) ?? noApproval;
    refuseUndecidable(kind, row.id, statusAt(row, clock.now()), row.author, actor);
    if (!(await isApprover(tx, actor, approval.approvers))) {
      throw new TenancyError(
        "forbidden",
        `${actor.subject} may not decide on ${kind} ${row.id}: its approvers are ${approval.approvers.join(", ") || "org admins only"}`,
        { target: { kind, id: row.id } },
      );
    }
    return approval;
  }

  return {
    approvalAsked: (actor: Actor, project: string, environment: string) =>
      approvalAsked(db, actor, project, environment),

    /**
     * Stores a guarded write as a pending request, or answers the pending request of the same
     * author with the same write (a second `pulumi up` before approval opens no duplicate). A dry
     * run stores nothing: it answers that pending request, or the request it would open (id "").
     */
    async open(actor: Actor, guarded: GuardedWrite, dryRun: boolean): Promise<ChangeRequest> {
      const { operationId, params, body } = guarded.write;
      const mac = keyring.mac(JSON.stringify({ author: actor.subject, operationId, params, body }));
      const now = clock.now();
      const pending = await db
        .selectFrom("change_requests")
        .selectAll()
        .where("write_mac", "=", mac)
        .where("status", "=", "pending")
        .where("expires_at", ">", now)
        .executeTakeFirst();
      if (pending) return toChangeRequest(db, pending);
      const id = `cr_${randomBytes(12).toString("base64url")}`;
      const sealed = keyring.seal(JSON.stringify(guarded.write), `change-request:${id}`);
      const row = {
        id,
        project: guarded.project,
        environment: guarded.environment,
        author: actor.subject,
        author_actor: json({
          tokenId: actor.tokenId,
          name: actor.name,
          subject: actor.subject,
          teams: actor.teams,
          orgAdmin: actor.orgAdmin,
        } satisfies StoredActor)!,
        operation: guarded.operation,
        target_kind: guarded.target.kind,
        target_id: guarded.target.id,
        write_key_id: sealed.keyId,
        write_nonce: sealed.nonce,
        write_ciphertext: sealed.ciphertext,
        write_mac: mac,
        diff: json(guarded.diff)!,
        base_version: guarded.baseVersion,
        status: "pending",
        created_at: now,
        expires_at: new Date(now.getTime() + requestLifetimeMs),
      };
      // What the request is, as the audit entry records it and a dry run answers it.
      const summary = {
        project: row.project,
        environment: row.environment,
        author: row.author,
        operation: row.operation,
        target: guarded.target,
        diff: guarded.diff,
        baseVersion: guarded.baseVersion,
      };
      if (dryRun) {
        const approval = await approvalAsked(db, actor, guarded.project, guarded.environment);
        return {
          kind,
          id: "",
          ...summary,
          approvers: approval?.approvers ?? [],
          required: approval?.required ?? 1,
          approvals: [],
          status: "pending",
          createdAt: iso(now),
          expiresAt: iso(row.expires_at),
        };
      }
      return transaction(db, { kind, id }, async (tx) => {
        const created = await tx
          .insertInto("change_requests")
          .values(row)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(tx, actor, now, "change-request.create", { kind, id }, undefined, summary);
        return toChangeRequest(tx, created);
      });
    },

    /** The requests the actor may see (those of environments it may read), newest first. */
    async list(
      actor: Actor,
      filter: { status?: string; project?: string; environment?: string } = {},
    ): Promise<ChangeRequest[]> {
      const now = clock.now();
      let query = db.selectFrom("change_requests").selectAll().orderBy("created_at", "desc").limit(500);
      if (filter.project !== undefined) query = query.where("project", "=", filter.project);
      if (filter.environment !== undefined) query = query.where("environment", "=", filter.environment);
      if (filter.status !== undefined) query = query.where(statusIs(filter.status, now));
      const rows = await query.execute();
      const shown: ChangeRequest[] = [];
      for (const row of rows) {
        const readable = await authorize(db, actor, "read", row.project, row.environment).then(
          () => true,
          (err) => {
            if (TenancyError.isInstance(err) && (err.code === "not_found" || err.code === "forbidden"))
              return false;
            throw err;
          },
        );
        if (readable) shown.push(await toChangeRequest(db, row));
      }
      return shown;
    },

    async get(actor: Actor, id: string): Promise<ChangeRequest> {
      return toChangeRequest(db, await visible(db, actor, id));
    },

    /**
     * Records the actor's approval. The approval that completes the required count applies the
     * write, as its author, in the same transaction; when the target moved on since the request was
     * made, the request turns stale and nothing is applied. Two approvers completing it at once
     * apply it once: the request is locked first in the applying transaction.
     */
    async approve(actor: Actor, id: string, body: unknown, replayer: Replayer): Promise<ChangeRequest> {
      const decision: Decision = {
        decision: "approve",
        ...parseOrThrow(decisionBodySchema, body ?? {}, "approval"),
      };
      const ready = await transaction(db, { kind, id }, async (tx) => {
        const row = await visible(tx, actor, id, true);
        const approval = await decidable(tx, actor, row);
        const approvers = new Set(await approvedBy(tx, id));
        if (approvers.has(actor.subject)) return undefined; // counted once
        if (approvers.size + 1 < approval.required) {
          const now = clock.now();
          await recordDecision(tx, id, actor, decision, now);
          await audit(tx, actor, now, "change-request.approve", { kind, id }, undefined, {
            approver: actor.subject,
            approvals: approvers.size + 1,
            required: approval.required,
          });
          return undefined;
        }
        return row;
      });
      if (ready === undefined) return this.get(actor, id);
      const write = openWrite(ready);
      const author = ready.author_actor;
      const replay = replayer(
        {
          ...write,
          // Applied only against the version the request was made against.
          ...(ready.base_version !== null ? { expectedVersion: ready.base_version } : {}),
        },
        { ...author, at: clock.now() },
      );
      const markStale = () =>
        transaction(db, { kind, id }, async (tx) => {
          const row = await visible(tx, actor, id, true);
          if (statusAt(row, clock.now()) === "pending") await decide(tx, actor, row, "stale", decision);
        });
      if ((await replay.currentVersion()) !== ready.base_version) {
        await markStale();
        return this.get(actor, id);
      }
      try {
        await replay.run(async (tx) => {
          const row = await tx
            .selectFrom("change_requests")
            .selectAll()
            .where("id", "=", id)
            .forUpdate()
            .executeTakeFirstOrThrow();
          if (statusAt(row, clock.now()) !== "pending") throw new AlreadyDecided();
          const now = clock.now();
          await recordDecision(tx, id, actor, decision, now);
          await tx
            .updateTable("change_requests")
            .set({ status: "applied", decided_at: now })
            .where("id", "=", id)
            .execute();
          await audit(
            tx,
            actor,
            now,
            "change-request.apply",
            { kind, id },
            { status: "pending" },
            {
              status: "applied",
              author: row.author,
              approvers: await approvedBy(tx, id),
              target: { kind: row.target_kind, id: row.target_id },
            },
          );
        });
      } catch (err) {
        if (err instanceof AlreadyDecided) return this.get(actor, id);
        if (TenancyError.isInstance(err) && staleCodes.has(err.code)) {
          await markStale();
          return this.get(actor, id);
        }
        throw err;
      }
      return this.get(actor, id);
    },

    async reject(actor: Actor, id: string, body: unknown): Promise<ChangeRequest> {
      const decision: Decision = {
        decision: "reject",
        ...parseOrThrow(decisionBodySchema, body ?? {}, "rejection"),
      };
      await transaction(db, { kind, id }, async (tx) => {
        const row = await visible(tx, actor, id, true);
        await decidable(tx, actor, row);
        await decide(tx, actor, row, "rejected", decision);
      });
      return this.get(actor, id);
    },

    /** Withdraws a pending request: its author only. */
    async cancel(actor: Actor, id: string): Promise<ChangeRequest> {
      await transaction(db, { kind, id }, async (tx) => {
        const row = await visible(tx, actor, id, true);
        refuseCancel(kind, id, statusAt(row, clock.now()), row.author, actor);
        await decide(tx, actor, row, "cancelled");
      });
      return this.get(actor, id);
    },
  };
}

/** A filter on the status as shown (a pending request past its expiry shows as expired). */
export function statusIs(status: string, now: Date) {
  return sql<boolean>`(case when status = 'pending' and expires_at <= ${now} then 'expired' else status end) = ${status}`;
}
