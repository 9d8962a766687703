// What change requests and access requests share: who may decide on them, and the decisions made.
import { sql } from "kysely";
import { TenancyError } from "../../model";
import { prefetchedRow, type Actor, type Operand, type Queryable } from "./context";
import { iso, optional } from "./rows";

export interface Decision {
  decision: "approve" | "reject";
  comment?: string;
}

/** The decisions recorded on a request, oldest first. */
export async function decisionsOf(q: Queryable, id: string) {
  const rows = await q
    .selectFrom("request_approvals")
    .selectAll()
    .where("request_id", "=", id)
    .orderBy("at")
    .orderBy("approver")
    .execute();
  return rows.map((r) => ({
    approver: r.approver,
    decision: r.decision,
    comment: optional(r.comment),
    at: iso(r.at),
  }));
}

/**
 * Whether the actor is one of `approvers`: by its subject, a team its token carries, or a team the
 * store lists it in. Org admins approve everything.
 */
export async function isApprover(q: Queryable, actor: Actor, approvers: string[]): Promise<boolean> {
  if (actor.orgAdmin) return true;
  if (actor.cluster !== undefined) return false;
  if (approvers.includes(actor.subject) || actor.teams.some((team) => approvers.includes(team))) return true;
  const teams = approvers.filter((a) => a.startsWith("team:")).map((a) => a.slice("team:".length));
  if (teams.length === 0) return false;
  const member = await q
    .selectFrom("team_members")
    .select(sql<number>`1`.as("one"))
    .where("subject", "=", actor.subject)
    .where("team", "in", teams)
    .executeTakeFirst();
  return member !== undefined;
}

/** Refuses a decision on a request that is no longer pending, or by its own author. */
export function refuseUndecidable(kind: string, id: string, status: string, author: string, actor: Actor) {
  if (status !== "pending") {
    throw new TenancyError("conflict", `${kind} ${id} is ${status}: only a pending request is decided`, {
      target: { kind, id },
    });
  }
  if (author === actor.subject) {
    throw new TenancyError("forbidden", `${actor.subject} asked for ${kind} ${id} and may not decide on it`, {
      target: { kind, id },
    });
  }
}

type StoredApproval = { approvers: string[]; required: number };

/** An environment's approval column, for a guarded write's authentication to read beside its token. */
export const approvalRow = (q: Queryable, project: Operand, environment: Operand) =>
  q
    .selectFrom("environments")
    .select("approval")
    .where("project", "=", project)
    .where("name", "=", environment);

/** A guarded environment's approval as stored; null when it is not guarded (or does not exist).
 * Read by the request's authentication when its route asked for it (`prefetched`). */
export async function approvalOf(q: Queryable, project: string, environment: string, actor?: Actor) {
  const prefetched =
    actor && prefetchedRow<{ approval: StoredApproval | null }>(actor, "approval", project, environment);
  if (prefetched !== undefined) return prefetched?.approval ?? null;
  const row = await approvalRow(q, project, environment).executeTakeFirst();
  return row?.approval ?? null;
}

/** Refuses cancelling a request by anyone but whoever asked (`owner`), or one no longer pending. */
export function refuseCancel(kind: string, id: string, status: string, owner: string, actor: Actor) {
  if (owner !== actor.subject) {
    throw new TenancyError("forbidden", `only ${owner}, who asked, cancels ${kind} ${id}`, {
      target: { kind, id },
    });
  }
  if (status !== "pending") {
    throw new TenancyError("conflict", `${kind} ${id} is ${status}: only a pending request is cancelled`, {
      target: { kind, id },
    });
  }
}
