import { z } from "zod";
import { approvalSchema } from "./approval";
import { placementSchema } from "./cluster";
import { descriptionSchema, labelsSchema, metaSchema, nameSchema } from "./common";

/** Creating an environment of a project (the project comes from the path). */
export const environmentCreateSchema = z.strictObject({
  /** Defaults to the domain's name; custom names (e.g. acme-prod) allow client environments. */
  name: nameSchema.optional(),
  domain: nameSchema,
  description: descriptionSchema.optional(),
  labels: labelsSchema.optional(),
  /** A protected environment cannot be deleted or transferred until this is set false. */
  protected: z.boolean().optional(),
  /** The clusters it is placed on (`[]`: none); unset, its domain's. */
  clusters: placementSchema.optional(),
  /** Writes to it by others than its approvers wait for their approval (change requests). */
  approval: approvalSchema.optional(),
});
export type EnvironmentCreate = z.output<typeof environmentCreateSchema>;

/** Changing an environment: `name` and `domain` are immutable, `project` changes by transfer;
 * null clears a field. */
export const environmentPatchSchema = environmentCreateSchema
  .omit({ name: true, domain: true })
  .partial()
  .extend({
    /** A new project moves the environment there (a transfer), with what is bound to it. */
    project: nameSchema.optional(),
    description: descriptionSchema.nullable().optional(),
    labels: labelsSchema.nullable().optional(),
    clusters: placementSchema.nullable().optional(),
    approval: approvalSchema.nullable().optional(),
  });
export type EnvironmentPatch = z.output<typeof environmentPatchSchema>;

export const environmentTransferSchema = z.strictObject({ project: nameSchema });

export const environmentSchema = z
  .object({
    project: nameSchema,
    name: nameSchema,
    domain: nameSchema,
    description: descriptionSchema.optional(),
    labels: labelsSchema.optional(),
    protected: z.boolean(),
    clusters: placementSchema.optional(),
    approval: z.object({ approvers: z.array(z.string()), required: z.number().int() }).optional(),
  })
  .extend(metaSchema.shape);
export type Environment = z.output<typeof environmentSchema>;

export function environmentId(project: string, name: string): string {
  return `${project}/${name}`;
}
