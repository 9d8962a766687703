import { auditQuerySchema, parseOrThrow, type AuditEntry } from "../../model";
import { requireOrgAdmin } from "./access";
import type { Actor, ServiceDeps } from "./context";
import { iso, optional } from "./rows";

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
      const rows = await q
        .orderBy("id", "desc")
        .limit(filter.limit ?? 100)
        .execute();
      return rows.map((row) => ({
        id: Number(row.id),
        at: iso(row.at),
        actor: row.actor,
        action: row.action,
        targetKind: row.target_kind,
        targetId: row.target_id,
        before: optional(row.before),
        after: optional(row.after),
      }));
    },
  };
}
