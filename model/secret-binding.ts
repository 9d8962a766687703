import { z } from "zod";
import { descriptionSchema, metaSchema, nameSchema } from "./common";

/** `vault://…`, `aws-sm://…` and the like: a secret kept in an external store. */
export const referenceSchema = z
  .string()
  .max(2000)
  .regex(/^[a-z][a-z0-9+.-]*:\/\/\S+$/, "reference must be a URI such as vault://path or aws-sm://name");

const secretValueSchema = z.string().min(1).max(65536);

/** Binding a secret: exactly one of `value` (stored encrypted) or `reference`. */
export const secretCreateSchema = z
  .strictObject({
    name: nameSchema,
    value: secretValueSchema.optional(),
    reference: referenceSchema.optional(),
    description: descriptionSchema.optional(),
  })
  .superRefine(exactlyOneSource);
export type SecretCreate = z.output<typeof secretCreateSchema>;

/** Changing a binding: a new value or reference (at most one), or a new description (null clears it). */
export const secretPatchSchema = z
  .strictObject({
    value: secretValueSchema.optional(),
    reference: referenceSchema.optional(),
    description: descriptionSchema.nullable().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.value !== undefined && body.reference !== undefined) {
      ctx.addIssue({ code: "custom", path: ["value"], message: "give value or reference, not both" });
    }
  });
export type SecretPatch = z.output<typeof secretPatchSchema>;

function exactlyOneSource(body: { value?: string; reference?: string }, ctx: z.RefinementCtx) {
  if ((body.value === undefined) === (body.reference === undefined)) {
    ctx.addIssue({ code: "custom", path: ["value"], message: "give exactly one of value or reference" });
  }
}

/** A binding as the API returns it: metadata only, never the value. */
export const secretBindingSchema = z
  .object({
    project: nameSchema,
    environment: nameSchema,
    name: nameSchema,
    kind: z.enum(["value", "reference"]),
    reference: referenceSchema.optional(),
    description: descriptionSchema.optional(),
    /** Rises with every new value or reference. */
    valueVersion: z.number().int().positive(),
  })
  .extend(metaSchema.shape);
export type SecretBinding = z.output<typeof secretBindingSchema>;

/** The Pulumi id and error target of a binding: `project/environment/name`. */
export function secretBindingId(project: string, environment: string, name: string): string {
  return `${project}/${environment}/${name}`;
}

/** What `POST …/secrets/{name}/reveal` answers: the value, or the reference. */
export const secretRevealSchema = z.object({
  name: nameSchema,
  kind: z.enum(["value", "reference"]),
  value: z.string().optional(),
  reference: z.string().optional(),
  valueVersion: z.number().int().positive(),
});
export type SecretReveal = z.output<typeof secretRevealSchema>;

/** The most bindings one `POST /v1/secrets/reveal` reveals. */
export const revealBatchLimit = 500;

/** A binding named by its place: project, environment and name. */
const secretAddressSchema = z.strictObject({
  project: nameSchema,
  environment: nameSchema,
  name: nameSchema,
});

/** What `POST /v1/secrets/reveal` takes: the bindings whose values to reveal at once. */
export const secretsRevealSchema = z.strictObject({
  secrets: z.array(secretAddressSchema).min(1).max(revealBatchLimit),
});
export type SecretsReveal = z.output<typeof secretsRevealSchema>;

/** What it answers, in the order asked: each value (audited as a single reveal is), or why that
 * one was not revealed (`not_found`, `forbidden`). */
export const secretsRevealedSchema = z.object({
  secrets: z.array(
    z.union([
      secretRevealSchema.extend({ project: nameSchema, environment: nameSchema }),
      secretAddressSchema.extend({
        error: z.object({ code: z.enum(["not_found", "forbidden"]), detail: z.string() }),
      }),
    ]),
  ),
});
export type SecretsRevealed = z.output<typeof secretsRevealedSchema>;
