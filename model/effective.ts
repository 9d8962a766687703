import { z } from "zod";
import { nameSchema, perResourceKind } from "./common";
import { ceilingWithUseSchema, quotaSchema, quotaUsageSchema } from "./quota";

/** One effective default and the scope that set it (`domain:D`, `project:P` or
 * `project:P/environment:E`). */
export const effectiveFieldSchema = z.object({ value: z.string(), source: z.string() });
export type EffectiveField = z.output<typeof effectiveFieldSchema>;

const effectiveAmountsSchema = z.object(perResourceKind(effectiveFieldSchema.optional()));
export type EffectiveAmounts = z.output<typeof effectiveAmountsSchema>;

export const effectiveDefaultsSchema = z.object({
  requests: effectiveAmountsSchema,
  limits: effectiveAmountsSchema,
});
export type EffectiveDefaults = z.output<typeof effectiveDefaultsSchema>;

/** What a runtime asks before it schedules work in an environment: defaults merged environment over
 * project over domain, the quota with its usage, every ceiling above it (the project's, the domain's)
 * with its use, and the names (never the values) of its secrets. */
export const effectiveConfigSchema = z.object({
  project: nameSchema,
  environment: nameSchema,
  domain: nameSchema,
  /** `project-environment`: the namespace runtimes derive. */
  namespace: z.string(),
  defaults: effectiveDefaultsSchema,
  quota: quotaSchema.extend({ usage: quotaUsageSchema }).optional(),
  ceilings: z.array(ceilingWithUseSchema),
  secrets: z.array(
    z.object({ name: nameSchema, kind: z.enum(["value", "reference"]), valueVersion: z.number().int() }),
  ),
});
export type EffectiveConfig = z.output<typeof effectiveConfigSchema>;
