import { z } from "zod";
import { metaSchema, nameSchema, perResourceKind, quantitySchema } from "./common";

const executionsLimitSchema = z.number().int().min(0).max(1_000_000);

/** The limits of one environment, or of a ceiling above environments (one field per dimension of
 * the registry, model/dimensions.ts); omitted fields are unlimited. */
export const quotaSpecSchema = z.strictObject({
  ...perResourceKind(quantitySchema.optional()),
  maxConcurrentExecutions: executionsLimitSchema.optional(),
});
export type QuotaSpec = z.output<typeof quotaSpecSchema>;

export const quotaSchema = quotaSpecSchema
  .extend({ project: nameSchema, environment: nameSchema })
  .extend(metaSchema.shape);
export type Quota = z.output<typeof quotaSchema>;

/** What live reservations hold, in the quota's units. */
export const quotaUsageSchema = z.object({ ...perResourceKind(z.string()), executions: z.number().int() });
export type QuotaUsage = z.output<typeof quotaUsageSchema>;

/** Where a ceiling sits: above every environment of a project, or of a domain. */
export type CeilingScope = { kind: "project"; project: string } | { kind: "domain"; domain: string };

/** The scope's id: `project:P` or `domain:D`. */
export function ceilingId(scope: CeilingScope): string {
  return scope.kind === "project" ? `project:${scope.project}` : `domain:${scope.domain}`;
}

/** What the quotas below a ceiling add up to, on the dimensions they set. */
export const quotaAllocationSchema = z.object({
  ...perResourceKind(z.string()),
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
