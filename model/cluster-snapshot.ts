import { z } from "zod";
import { nameSchema, perResourceKind, roleSchema } from "./common";
import { clusterStatusReportSchema } from "./cluster-status";
import { quotaSpecSchema } from "./quota";

const amountsSchema = z.object(perResourceKind(z.string().optional()));

/** One environment placed on a cluster, with everything `tenancy sync` renders for it. */
export const placedEnvironmentSchema = z.object({
  project: nameSchema,
  environment: nameSchema,
  domain: nameSchema,
  /** Its project is archived: nothing new may run there. */
  archived: z.boolean(),
  /** Its quota's limits; absent when it has no quota. */
  quota: quotaSpecSchema.optional(),
  /** Its effective resource defaults (environment over project over domain). */
  defaults: z.object({ requests: amountsSchema, limits: amountsSchema }),
  /** Its secret bindings, never their values: sync reveals a value when its version moved. */
  secrets: z.array(
    z.object({
      name: nameSchema,
      kind: z.enum(["value", "reference"]),
      reference: z.string().optional(),
      valueVersion: z.number().int(),
    }),
  ),
  /** The unexpired role bindings that cover it: project-wide and its own; `expiresAt` when set. */
  roleBindings: z.array(
    z.object({ subject: z.string(), role: roleSchema, expiresAt: z.iso.datetime().optional() }),
  ),
  /** What sync last reported of it on this cluster, so an unchanged state is not reported again. */
  reported: clusterStatusReportSchema.pick({ phase: true, message: true, usage: true }).optional(),
});
export type PlacedEnvironment = z.output<typeof placedEnvironmentSchema>;

/** What is placed on a cluster, read at one moment: `revision` is the change feed's revision then,
 * from which a follower sees every later change. */
export const clusterSnapshotSchema = z.object({
  cluster: nameSchema,
  revision: z.number().int().nonnegative(),
  environments: z.array(placedEnvironmentSchema),
});
export type ClusterSnapshot = z.output<typeof clusterSnapshotSchema>;
