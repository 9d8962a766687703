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
  /** A directory token: the identity provider's, for /scim/v2 and nothing else. */
  scim: z.boolean().optional(),
});
export type TokenCreate = z.output<typeof tokenCreateSchema>;

/** A token's authority is one kind's: a sync token's is its cluster's, a directory token's the
 * directory's, nothing more. The field of a request that mixes them, and why. */
export function mixedTokenKind(input: {
  orgAdmin?: boolean | undefined;
  cluster?: string | undefined;
  scim?: boolean | undefined;
}): { path: string; message: string } | undefined {
  if (input.cluster !== undefined && input.orgAdmin === true)
    return { path: "orgAdmin", message: "a sync token (cluster) cannot be an org admin token" };
  if (input.scim === true && input.orgAdmin === true)
    return { path: "orgAdmin", message: "a directory token (scim) cannot be an org admin token" };
  if (input.scim === true && input.cluster !== undefined)
    return { path: "cluster", message: "a directory token (scim) cannot be a sync token" };
  return undefined;
}

export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  subject: z.string(),
  teams: z.array(z.string()),
  orgAdmin: z.boolean(),
  cluster: z.string().optional(),
  scim: z.boolean().optional(),
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
