import { z } from "zod";
import { nameSchema } from "./common";
import { quotaUsageSchema } from "./quota";

/** What `tenancy sync` reports of one environment on one cluster. */
export const clusterStatusReportSchema = z.strictObject({
  phase: z.enum(["synced", "conflict", "error"]),
  /** The environment's version that was applied. */
  syncedVersion: z.number().int().positive(),
  syncedAt: z.iso.datetime({ offset: true }),
  message: z.string().max(2000).optional(),
  /** The ResourceQuota's `status.used`, in the quota's dimensions. */
  usage: quotaUsageSchema.optional(),
});
export type ClusterStatusReport = z.output<typeof clusterStatusReportSchema>;

/** The most environments one `PUT /v1/clusters/{c}/status` reports or releases. */
export const statusBatchLimit = 1000;

const placedAddressSchema = z.strictObject({ project: nameSchema, environment: nameSchema });

/** What a sync pass reports at once: the environments whose state changed, and those it keeps
 * nothing for any more (their reports are dropped). */
export const clusterStatusBatchSchema = z.strictObject({
  environments: z
    .array(clusterStatusReportSchema.extend(placedAddressSchema.shape))
    .max(statusBatchLimit)
    .default([]),
  released: z.array(placedAddressSchema).max(statusBatchLimit).default([]),
});
export type ClusterStatusBatch = z.input<typeof clusterStatusBatchSchema>;

/** How many reports were recorded; an environment no longer placed on the cluster is skipped. */
export const clusterStatusBatchResultSchema = z.object({
  recorded: z.number().int().nonnegative(),
  skipped: z.array(placedAddressSchema.extend({ detail: z.string() })),
});
export type ClusterStatusBatchResult = z.output<typeof clusterStatusBatchResultSchema>;

/** An environment's placement on one cluster, with what sync last reported there, if anything. */
export const environmentClusterSchema = z.object({
  cluster: nameSchema,
  /** `environment`: placed by its own clusters; `domain`: by its domain's. */
  placedBy: z.enum(["environment", "domain"]),
  status: clusterStatusReportSchema.extend({ reportedAt: z.string() }).optional(),
});
export type EnvironmentCluster = z.output<typeof environmentClusterSchema>;

/** What a running sync says of itself: the process that leads the cluster (host and pid). */
export const syncHeartbeatSchema = z.strictObject({ leader: z.string().min(1).max(253) });
export type SyncHeartbeat = z.output<typeof syncHeartbeatSchema>;
