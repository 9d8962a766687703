import { z } from "zod";

/** One mutation: who did what to which object, with the object before and after (secrets redacted). */
export const auditEntrySchema = z.object({
  id: z.number().int(),
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  targetKind: z.string(),
  targetId: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type AuditEntry = z.output<typeof auditEntrySchema>;

export const auditQuerySchema = z.strictObject({
  actor: z.string().optional(),
  action: z.string().optional(),
  targetKind: z.string().optional(),
  targetId: z.string().optional(),
  since: z.iso.datetime({ offset: true }).optional(),
  /** Entries about the project or anything in it. */
  project: z.string().optional(),
  /** Paging: entries older than this id (the last id of the previous page). */
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});
export type AuditQuery = z.output<typeof auditQuerySchema>;
