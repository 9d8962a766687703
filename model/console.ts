// What the web console's pages read: each page costs one or two requests, whatever the size of the
// organisation. Every answer holds only what the caller's token may read.
import { z } from "zod";
import { auditEntrySchema } from "./audit";
import { environmentClusterSchema } from "./cluster-status";
import { descriptionSchema, labelsSchema, managedBySchema, nameSchema, roleSchema } from "./common";
import { domainSchema } from "./domain";
import { environmentSchema } from "./environment";
import { secretBindingSchema } from "./secret-binding";

/** The quota dimension closest to its limit: `used` of `limit` is `percent`. */
export const fullestDimensionSchema = z.object({
  dimension: z.string(),
  used: z.string(),
  limit: z.string(),
  percent: z.number(),
});
export type FullestDimension = z.output<typeof fullestDimensionSchema>;

/** One cell of the matrix: an environment, at a glance. */
export const environmentCellSchema = z.object({
  name: nameSchema,
  domain: nameSchema,
  protected: z.boolean(),
  /** Null without a quota, or when the quota sets no limit. */
  fullest: fullestDimensionSchema.nullable(),
  /** Executions the live reservations hold. */
  running: z.number().int(),
  /** Placed on clusters: how many, and the worst state sync reported from them (`unreported` when
   * one has not reported yet). Absent when it is placed on none. */
  sync: z
    .object({
      clusters: z.number().int().positive(),
      state: z.enum(["synced", "unreported", "conflict", "error"]),
    })
    .optional(),
});
export type EnvironmentCell = z.output<typeof environmentCellSchema>;

export const projectRowSchema = z.object({
  name: nameSchema,
  description: descriptionSchema.optional(),
  labels: labelsSchema,
  archived: z.boolean(),
  environments: z.array(environmentCellSchema),
});
export type ProjectRow = z.output<typeof projectRowSchema>;

/** The project × domain matrix: every domain, and the projects and environments the caller reads. */
export const matrixSchema = z.object({
  domains: z.array(domainSchema.pick({ name: true, tier: true, order: true })),
  projects: z.array(projectRowSchema),
});
export type Matrix = z.output<typeof matrixSchema>;

/** A role binding with the members its team subject stands for (the store's list). */
export const accessEntrySchema = z.object({
  id: z.string(),
  environment: nameSchema.optional(),
  subject: z.string(),
  role: roleSchema,
  members: z.array(z.string()).optional(),
  /** A team the directory keeps (SCIM): its members are the identity provider's to change. */
  directory: z.boolean().optional(),
});
export type AccessEntry = z.output<typeof accessEntrySchema>;

/** Running executions over the last 24 hours, sampled every 15 minutes (oldest first). */
export const executionsHistorySchema = z.array(z.object({ at: z.string(), running: z.number().int() }));

/** The pair's dashboard, besides its effective configuration (GET …/effective). */
export const pairDashboardSchema = z.object({
  environment: environmentSchema,
  /** Where it runs, with what sync last reported from each cluster. */
  clusters: z.array(environmentClusterSchema),
  secrets: z.array(secretBindingSchema),
  access: z.array(accessEntrySchema),
  executions: executionsHistorySchema,
  audit: z.array(auditEntrySchema),
});
export type PairDashboard = z.output<typeof pairDashboardSchema>;

export const projectPageSchema = projectRowSchema.extend({
  managedBy: managedBySchema,
  access: z.array(accessEntrySchema),
});
export type ProjectPage = z.output<typeof projectPageSchema>;
