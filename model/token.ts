import { z } from "zod";
import { nameSchema, subjectSchema } from "./common";

/** Issuing an API token to a user or service, with the teams it belongs to. */
export const tokenCreateSchema = z.strictObject({
  name: z.string().min(1).max(100),
  subject: subjectSchema.refine(
    (s) => !s.startsWith("team:"),
    "tokens are issued to user: or service: subjects",
  ),
  teams: z
    .array(subjectSchema.refine((s) => s.startsWith("team:"), "teams are team:<id>"))
    .max(100)
    .optional(),
  orgAdmin: z.boolean().optional(),
  expiresAt: z.iso.datetime({ offset: true }).optional(),
  /** A sync token: it reads only what is placed on this cluster (secret values included), follows
   * the change feed for it and reports its status; nothing else, whatever bindings its subject has. */
  cluster: nameSchema.optional(),
});
export type TokenCreate = z.output<typeof tokenCreateSchema>;

/** Why a token cannot be both: a sync token's authority is its cluster's, nothing more. */
export const syncTokenNotAdmin = "a sync token (cluster) cannot be an org admin token";

export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  subject: z.string(),
  teams: z.array(z.string()),
  orgAdmin: z.boolean(),
  cluster: z.string().optional(),
  expiresAt: z.string().optional(),
  revokedAt: z.string().optional(),
  createdAt: z.string(),
  /** The Pulumi resource that issued it (an ApiToken), or null when issued by hand. */
  managedBy: z.object({ stack: z.string(), urn: z.string() }).nullable(),
});
export type Token = z.output<typeof tokenSchema>;

/** A token as issued: its secret is in this answer only. */
export const issuedTokenSchema = tokenSchema.extend({ token: z.string() });
export type IssuedToken = z.output<typeof issuedTokenSchema>;

const durationUnits = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const maxDurationMs = 3650 * durationUnits.d;

/** A duration such as `90d`, `12h`, `30m` or `90s`, in milliseconds. */
export function durationMs(text: string): number {
  return Number(text.slice(0, -1)) * durationUnits[text.slice(-1) as keyof typeof durationUnits];
}

/** A duration such as `90d`, `12h`, `30m` or `90s` (at most ten years), kept as written. */
export const durationSchema = z
  .string()
  .regex(/^[1-9]\d{0,8}[smhd]$/, "a whole number of seconds, minutes, hours or days: 90s, 30m, 12h, 90d")
  .refine((text) => durationMs(text) <= maxDurationMs, "at most 3650d");
