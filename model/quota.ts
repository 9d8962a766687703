import { z } from "zod";
import { metaSchema, nameSchema, quantitySchema } from "./common";

/** The limits of one environment, or of a ceiling above environments; omitted fields are unlimited. */
export const quotaSpecSchema = z.strictObject({
  cpu: quantitySchema.optional(),
  memory: quantitySchema.optional(),
  gpu: quantitySchema.optional(),
  storage: quantitySchema.optional(),
  maxConcurrentExecutions: z.number().int().min(0).max(1_000_000).optional(),
});
export type QuotaSpec = z.output<typeof quotaSpecSchema>;

/** The dimensions a quota limits, in its own field names. */
export const quotaDimensions = ["cpu", "memory", "gpu", "storage", "maxConcurrentExecutions"] as const;
export type QuotaDimension = (typeof quotaDimensions)[number];

export const quotaSchema = quotaSpecSchema
  .extend({ project: nameSchema, environment: nameSchema })
  .extend(metaSchema.shape);
export type Quota = z.output<typeof quotaSchema>;

/** What live reservations hold, in the quota's units. */
export const quotaUsageSchema = z.object({
  cpu: z.string(),
  memory: z.string(),
  gpu: z.string(),
  storage: z.string(),
  executions: z.number().int(),
});
export type QuotaUsage = z.output<typeof quotaUsageSchema>;

/** Where a ceiling sits: above every environment of a project, or of a domain. */
export type CeilingScope = { kind: "project"; project: string } | { kind: "domain"; domain: string };

/** The scope's id: `project:P` or `domain:D`. */
export function ceilingId(scope: CeilingScope): string {
  return scope.kind === "project" ? `project:${scope.project}` : `domain:${scope.domain}`;
}

/** What the quotas below a ceiling add up to, on the dimensions they set. */
export const quotaAllocationSchema = z.object({
  cpu: z.string(),
  memory: z.string(),
  gpu: z.string(),
  storage: z.string(),
  maxConcurrentExecutions: z.number().int(),
});
export type QuotaAllocation = z.output<typeof quotaAllocationSchema>;

/** A ceiling: limits on a project or a domain as a whole. The quotas below it may not add up to
 * more, and reservations below it are admitted only while it holds. */
export const ceilingSchema = quotaSpecSchema
  .extend({
    /** `project:P` or `domain:D`. */
    scope: z.string(),
    project: nameSchema.optional(),
    domain: nameSchema.optional(),
  })
  .extend(metaSchema.shape);
export type Ceiling = z.output<typeof ceilingSchema>;

/** A ceiling with what lies below it: the environments' quotas added up, and their live reservations. */
export const ceilingWithUseSchema = ceilingSchema.extend({
  allocated: quotaAllocationSchema,
  usage: quotaUsageSchema,
});
export type CeilingWithUse = z.output<typeof ceilingWithUseSchema>;
