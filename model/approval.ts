import { z } from "zod";
import { durationMs, durationSchema } from "./token";
import { nameSchema, roleSchema, subjectSchema } from "./common";

/** Who approves the writes to a guarded environment, and how many distinct approvers must. */
export const approvalSchema = z
  .strictObject({
    approvers: z.array(subjectSchema).min(1).max(100),
    required: z.number().int().min(1).max(100).optional(),
  })
  .refine((a) => (a.required ?? 1) <= new Set(a.approvers).size, {
    message: "required cannot exceed the number of distinct approvers",
    path: ["required"],
  });
export type Approval = z.output<typeof approvalSchema>;

/** The manager (`managedBy.stack`) of a role binding an approved access request granted: a grant
 * for a while, not a declaration, so `tenancy export` leaves it out. */
export const accessGrantManager = "access-requests";

export const changeRequestStatuses = [
  "pending",
  "applied",
  "rejected",
  "stale",
  "expired",
  "cancelled",
] as const;
export const accessRequestStatuses = ["pending", "approved", "rejected", "expired", "cancelled"] as const;

/** One field of a change, before and after; a secret value only as `(changed)`. */
export const fieldChangeSchema = z.object({
  field: z.string(),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type FieldChange = z.output<typeof fieldChangeSchema>;

export const decisionSchema = z.object({
  approver: z.string(),
  decision: z.enum(["approve", "reject"]),
  comment: z.string().optional(),
  at: z.string(),
});

/** A write to a guarded environment, waiting for its approvers. */
export const changeRequestSchema = z.object({
  kind: z.literal("ChangeRequest"),
  /** Empty in a dry run's answer, when the write would open a new request. */
  id: z.string(),
  project: nameSchema,
  environment: nameSchema,
  author: z.string(),
  /** The operation, e.g. `PUT /v1/projects/{project}/environments/{environment}/quota`. */
  operation: z.string(),
  target: z.object({ kind: z.string(), id: z.string() }),
  diff: z.array(fieldChangeSchema),
  /** The target's version when the request was made; null for an object the write creates. */
  baseVersion: z.number().int().nullable(),
  approvers: z.array(z.string()),
  required: z.number().int(),
  approvals: z.array(decisionSchema),
  status: z.enum(changeRequestStatuses),
  comment: z.string().optional(),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().optional(),
});
export type ChangeRequest = z.output<typeof changeRequestSchema>;

export const decisionBodySchema = z.strictObject({ comment: z.string().max(1000).optional() });

const maxAccessDays = 30;

/** Asking for a role for a while. */
export const accessRequestCreateSchema = z.strictObject({
  project: nameSchema,
  environment: nameSchema.optional(),
  role: roleSchema,
  duration: durationSchema.refine(
    (d) => durationMs(d) <= maxAccessDays * 86_400_000,
    `at most ${maxAccessDays}d`,
  ),
  reason: z.string().min(1).max(1000),
});
export type AccessRequestCreate = z.output<typeof accessRequestCreateSchema>;

export const accessRequestSchema = z.object({
  kind: z.literal("AccessRequest"),
  id: z.string(),
  project: nameSchema,
  environment: nameSchema.optional(),
  requester: z.string(),
  role: roleSchema,
  duration: z.string(),
  reason: z.string(),
  status: z.enum(accessRequestStatuses),
  approvals: z.array(decisionSchema),
  /** Once approved: the binding it made and when that binding stops granting. */
  bindingId: z.string().optional(),
  bindingExpiresAt: z.string().optional(),
  createdAt: z.string(),
  expiresAt: z.string(),
  decidedAt: z.string().optional(),
});
export type AccessRequest = z.output<typeof accessRequestSchema>;

/** How long a request waits for its decision. */
export const requestLifetimeMs = 7 * 86_400_000;

/** The answer to a write that waits for approval (HTTP 202). */
export class ApprovalPending extends Error {
  readonly approvalPending = true;
  constructor(readonly changeRequest: ChangeRequest) {
    super(describePending(changeRequest));
    this.name = "ApprovalPending";
  }

  static isInstance(err: unknown): err is ApprovalPending {
    return (
      typeof err === "object" &&
      err !== null &&
      (err as { approvalPending?: unknown }).approvalPending === true
    );
  }
}

/** The one message a waiting write gives: the request, its approvers, the command that approves it. */
export function describePending(request: ChangeRequest): string {
  const where = `environment ${request.project}/${request.environment}`;
  const who = `${request.required} of ${request.approvers.join(", ")}`;
  if (request.id === "") {
    return (
      `${where} needs approval for this change (${who}): \`pulumi up\` opens a change request, ` +
      "which an approver approves with `tenancy approve <id>`"
    );
  }
  return (
    `${where} needs approval for this change: change request ${request.id} waits for ${who}; ` +
    `an approver runs \`tenancy approve ${request.id}\`, then run \`pulumi up\` again`
  );
}
