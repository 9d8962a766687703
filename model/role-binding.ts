import { z } from "zod";
import { metaSchema, nameSchema, roleSchema, subjectSchema } from "./common";

/** Granting `role` to `subject` on a project, or on one of its environments. */
export const roleBindingCreateSchema = z.strictObject({
  environment: nameSchema.optional(),
  subject: subjectSchema,
  role: roleSchema,
  /** From this instant (RFC 3339) the binding grants nothing. */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});
export type RoleBindingCreate = z.output<typeof roleBindingCreateSchema>;

export const roleBindingSchema = roleBindingCreateSchema
  .extend({ id: z.string(), project: nameSchema })
  .extend(metaSchema.shape);
export type RoleBinding = z.output<typeof roleBindingSchema>;

/** The Pulumi id of a binding: `project[/environment]/subject/role`. */
export function roleBindingKey(binding: {
  project: string;
  environment?: string;
  subject: string;
  role: string;
}) {
  return [binding.project, binding.environment, binding.subject, binding.role].filter(Boolean).join("/");
}
