import * as m from "../../../model";
import { route } from "../route";

export const auditRoutes = [
  route({
    method: "GET",
    url: "/v1/audit",
    operationId: "listAudit",
    tag: "audit",
    summary: "Read the audit log (filters: actor, action, targetKind, targetId, since, limit)",
    response: m.auditEntrySchema.array(),
    handle: (s, r) => s.audit.list(r.actor, r.query),
  }),
];
