import { z } from "zod";
import { descriptionSchema, displayNameSchema, labelsSchema, metaSchema, nameSchema } from "./common";

/** Creating a cluster: a Kubernetes cluster that `tenancy sync --cluster <name>` keeps in step. */
export const clusterCreateSchema = z.strictObject({
  name: nameSchema,
  displayName: displayNameSchema.optional(),
  description: descriptionSchema.optional(),
  labels: labelsSchema.optional(),
});
export type ClusterCreate = z.output<typeof clusterCreateSchema>;

/** Changing a cluster: `name` is immutable; null clears a field. */
export const clusterPatchSchema = z.strictObject({
  displayName: displayNameSchema.nullable().optional(),
  description: descriptionSchema.nullable().optional(),
  labels: labelsSchema.nullable().optional(),
});
export type ClusterPatch = z.output<typeof clusterPatchSchema>;

export const clusterSchema = clusterCreateSchema.extend(metaSchema.shape).extend({
  /** When its sync last spoke to the control plane, and the process that leads it. */
  lastSeenAt: z.string().optional(),
  leader: z.string().optional(),
});
export type Cluster = z.output<typeof clusterSchema>;

/** Where an environment runs: cluster names, each at most once, in the order given. `[]` places it
 * nowhere. */
export const placementSchema = z
  .array(nameSchema)
  .max(64)
  .refine((names) => new Set(names).size === names.length, "a cluster is named once");
