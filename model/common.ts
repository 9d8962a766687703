// Building blocks of the kind schemas.
import { z } from "zod";
import { resourceKinds, type ResourceKind } from "./dimensions";
import { nameProblem } from "./names";
import { normalizeQuantity } from "./quantity";

/** A project, domain, environment or secret name (see names.ts for the rules). */
export const nameSchema = z.string().superRefine((value, ctx) => {
  const problem = nameProblem(value);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const descriptionSchema = z.string().max(1000);
export const displayNameSchema = z.string().min(1).max(200);

/** Labels: short keys and values; stored with keys sorted so equal maps compare equal. */
export const labelsSchema = z
  .record(
    z.string().regex(/^[a-z0-9]([a-z0-9._/-]{0,61}[a-z0-9])?$/, "label keys are lowercase, 1-63 characters"),
    z.string().max(200),
  )
  .refine((labels) => Object.keys(labels).length <= 64, "at most 64 labels")
  .transform(sortKeys);

export function sortKeys<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A quantity ("500m", "2", "16Gi" or a number), normalised to its canonical text. */
export const quantitySchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  try {
    return normalizeQuantity(value);
  } catch (err) {
    ctx.addIssue({ code: "custom", message: (err as Error).message });
    return z.NEVER;
  }
});

/** A schema for each resource kind, from the dimensions' registry. */
export function perResourceKind<S extends z.ZodType>(schema: S): { [K in ResourceKind]: S } {
  return Object.fromEntries(resourceKinds.map((k) => [k, schema])) as { [K in ResourceKind]: S };
}

/** Amounts of the resource kinds tenancy accounts for. */
export const resourceAmountsSchema = z.strictObject(perResourceKind(quantitySchema.optional()));
export type ResourceAmounts = z.output<typeof resourceAmountsSchema>;

/**
 * The Pulumi resource that manages an object (stack and URN), or null when it was made by hand.
 * `deletedWith` is the URN of the environment resource the object goes with: Pulumi skips the
 * object's own delete when that environment is deleted in the same run, and the environment's
 * delete takes the object along, in one transaction.
 */
export const managedBySchema = z
  .object({ stack: z.string(), urn: z.string(), deletedWith: z.string().optional() })
  .nullable();

/** The optimistic-concurrency version, timestamps and manager every stored object carries. */
export const metaSchema = z.object({
  version: z.number().int().positive(),
  createdAt: z.string(),
  updatedAt: z.string(),
  managedBy: managedBySchema,
});
export type Meta = z.output<typeof metaSchema>;

export const subjectPattern = /^(user|team|service):[A-Za-z0-9][A-Za-z0-9._@+-]{0,199}$/;
/** Who holds a role: `user:…`, `team:…` or `service:…`. */
export const subjectSchema = z
  .string()
  .regex(subjectPattern, "subject must be user:<id>, team:<id> or service:<id>");

export const roles = ["viewer", "contributor", "developer", "admin"] as const;
export type Role = (typeof roles)[number];
export const roleSchema = z.enum(roles);
