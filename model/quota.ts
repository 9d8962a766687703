import { z } from "zod";
import { metaSchema, nameSchema, quantitySchema } from "./common";

/** The limits of one environment; omitted fields are unlimited. */
export const quotaSpecSchema = z.strictObject({
  cpu: quantitySchema.optional(),
  memory: quantitySchema.optional(),
  gpu: quantitySchema.optional(),
  storage: quantitySchema.optional(),
  maxConcurrentExecutions: z.number().int().min(0).max(1_000_000).optional(),
});
export type QuotaSpec = z.output<typeof quotaSpecSchema>;

export const quotaSchema = quotaSpecSchema
  .extend({ project: nameSchema, environment: nameSchema })
  .extend(metaSchema.shape);
export type Quota = z.output<typeof quotaSchema>;

/** What the environment's live reservations hold, in the quota's units. */
export const quotaUsageSchema = z.object({
  cpu: z.string(),
  memory: z.string(),
  gpu: z.string(),
  storage: z.string(),
  executions: z.number().int(),
});
export type QuotaUsage = z.output<typeof quotaUsageSchema>;
