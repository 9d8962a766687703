import { z } from "zod";
import { environmentSchema } from "./environment";
import { projectSchema } from "./project";
import { ceilingWithUseSchema, quotaSchema, quotaUsageSchema } from "./quota";
import { resourceDefaultsSchema } from "./resource-defaults";
import { roleBindingSchema } from "./role-binding";
import { secretBindingSchema } from "./secret-binding";

/**
 * Everything of one project that its Pulumi resources name, each object exactly as its own GET
 * answers it: what `GET /v1/projects/{p}/objects` answers, so a refresh reads a project in one
 * request instead of one per resource. Only what the caller may read is in it.
 */
export const projectObjectsSchema = z.object({
  project: projectSchema,
  /** The project's ceiling, when it has one. */
  ceiling: ceilingWithUseSchema.optional(),
  /** The project-wide resource defaults, when set. */
  defaults: resourceDefaultsSchema.optional(),
  environments: z.array(
    z.object({
      environment: environmentSchema,
      quota: quotaSchema.extend({ usage: quotaUsageSchema }).optional(),
      defaults: resourceDefaultsSchema.optional(),
      secrets: z.array(secretBindingSchema),
    }),
  ),
  roleBindings: z.array(roleBindingSchema),
});
export type ProjectObjects = z.output<typeof projectObjectsSchema>;
