// How `tenancy sync` renders and writes: the contract's flags, checked once at the boundary.
import { z } from "zod";
import { nameSchema } from "../model";

export const syncOptionsSchema = z.strictObject({
  cluster: nameSchema,
  /** The namespace of an environment: `{project}` and `{environment}` (and `{domain}`) replaced. */
  namespaceTemplate: z
    .string()
    .min(1)
    .refine((t) => t.includes("{project}") && t.includes("{environment}"), {
      message: "must name {project} and {environment}, so each environment gets its own namespace",
    })
    .default("{project}-{environment}"),
  gpuResource: z.string().min(1).default("nvidia.com/gpu"),
  userPrefix: z.string().default(""),
  groupPrefix: z.string().default(""),
  /** With it, a binding with a `reference` becomes an ExternalSecret from this ClusterSecretStore. */
  secretStore: z.string().min(1).optional(),
  leaseNamespace: nameSchema.default("tenancy-system"),
  deleteNamespaces: z.boolean().default(false),
  /** Seconds between full passes. */
  resyncSeconds: z.number().int().positive().default(600),
  dryRun: z.boolean().default(false),
});
export type SyncOptions = z.output<typeof syncOptionsSchema>;
