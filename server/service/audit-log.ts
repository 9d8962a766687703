import { sql, type Selectable } from "kysely";
import type { AuditTable } from "../store/schema";
import { auditQuerySchema, parseOrThrow, type AuditEntry } from "../../model";
import { requireOrgAdmin } from "./access";
import type { Actor, ServiceDeps } from "./context";
import { iso, optional } from "./rows";

/** Entries about a project or anything in it: the project itself, or an object whose recorded
 * state names the project. */
export function aboutProject(project: string) {
  return sql<boolean>`(
    (target_kind = 'Project' and target_id = ${project})
    or coalesce(after->>'project', before->>'project') = ${project}
  )`;
}

export function auditEntryOf(row: Selectable<AuditTable>): AuditEntry {
  return {
    id: Number(row.id),
    at: iso(row.at),
    actor: row.actor,
    action: row.action,
    targetKind: row.target_kind,
    targetId: row.target_id,
    before: optional(row.before),
    after: optional(row.after),
  };
}

export function auditService({ db }: ServiceDeps) {
  return {
    /** Newest first, filtered by actor, action, target and time. */
    async list(actor: Actor, query: unknown): Promise<AuditEntry[]> {
      requireOrgAdmin(actor, "read the audit log");
      const filter = parseOrThrow(auditQuerySchema, query, "audit query");
      let q = db.selectFrom("audit").selectAll();
      if (filter.actor) q = q.where("actor", "=", filter.actor);
      if (filter.action) q = q.where("action", "=", filter.action);
      if (filter.targetKind) q = q.where("target_kind", "=", filter.targetKind);
      if (filter.targetId) q = q.where("target_id", "=", filter.targetId);
      if (filter.since) q = q.where("at", ">=", new Date(filter.since));
      if (filter.before) q = q.where("id", "<", filter.before);
      if (filter.project) q = q.where(aboutProject(filter.project));
      const rows = await q
        .orderBy("id", "desc")
        .limit(filter.limit ?? 100)
        .execute();
      return rows.map(auditEntryOf);
    },
  };
}
