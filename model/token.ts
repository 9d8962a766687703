import { z } from "zod";
import { subjectSchema } from "./common";

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
});
export type TokenCreate = z.output<typeof tokenCreateSchema>;

export const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  subject: z.string(),
  teams: z.array(z.string()),
  orgAdmin: z.boolean(),
  expiresAt: z.string().optional(),
  revokedAt: z.string().optional(),
  createdAt: z.string(),
});
export type Token = z.output<typeof tokenSchema>;

/** A token as issued: its secret is in this answer only. */
export const issuedTokenSchema = tokenSchema.extend({ token: z.string() });
export type IssuedToken = z.output<typeof issuedTokenSchema>;
