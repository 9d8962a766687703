import { z } from "zod";
import { descriptionSchema, displayNameSchema, labelsSchema, metaSchema, nameSchema } from "./common";

/** Creating a project: a product, team or client. */
export const projectCreateSchema = z.strictObject({
  name: nameSchema,
  displayName: displayNameSchema.optional(),
  description: descriptionSchema.optional(),
  labels: labelsSchema.optional(),
  /** Archived projects accept no new environments, bindings or reservations. */
  archived: z.boolean().optional(),
});
export type ProjectCreate = z.output<typeof projectCreateSchema>;

/** Changing a project: `name` is immutable; null clears a field. */
export const projectPatchSchema = projectCreateSchema.omit({ name: true }).partial().extend({
  displayName: displayNameSchema.nullable().optional(),
  description: descriptionSchema.nullable().optional(),
  labels: labelsSchema.nullable().optional(),
});
export type ProjectPatch = z.output<typeof projectPatchSchema>;

export const projectSchema = projectCreateSchema.extend({ archived: z.boolean() }).extend(metaSchema.shape);
export type Project = z.output<typeof projectSchema>;
