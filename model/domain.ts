import { z } from "zod";
import { placementSchema } from "./cluster";
import { descriptionSchema, displayNameSchema, metaSchema, nameSchema } from "./common";

export const tiers = ["production", "non-production"] as const;
export type Tier = (typeof tiers)[number];

/** Creating a domain: an org-wide stage such as development, staging or production. */
export const domainCreateSchema = z.strictObject({
  name: nameSchema,
  tier: z.enum(tiers),
  displayName: displayNameSchema.optional(),
  description: descriptionSchema.optional(),
  /** Rank in promotion order: development 10, staging 20, production 30, … */
  order: z.number().int().min(0).max(1_000_000).optional(),
  /** The clusters its environments are placed on, unless an environment names its own. */
  clusters: placementSchema.optional(),
});
export type DomainCreate = z.output<typeof domainCreateSchema>;

/** Changing a domain: `name` and `tier` are immutable; null clears a field. */
export const domainPatchSchema = domainCreateSchema
  .omit({ name: true, tier: true })
  .partial()
  .extend({
    displayName: displayNameSchema.nullable().optional(),
    description: descriptionSchema.nullable().optional(),
    order: z.number().int().min(0).max(1_000_000).nullable().optional(),
    clusters: placementSchema.nullable().optional(),
  });
export type DomainPatch = z.output<typeof domainPatchSchema>;

export const domainSchema = domainCreateSchema.extend(metaSchema.shape);
export type Domain = z.output<typeof domainSchema>;
