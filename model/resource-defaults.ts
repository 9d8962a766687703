import { z } from "zod";
import { metaSchema, nameSchema, resourceAmountsSchema } from "./common";

/** Default requests and limits for workloads in a scope. */
export const resourceDefaultsSpecSchema = z.strictObject({
  requests: resourceAmountsSchema.optional(),
  limits: resourceAmountsSchema.optional(),
});
export type ResourceDefaultsSpec = z.output<typeof resourceDefaultsSpecSchema>;

/** Where defaults apply: a domain, a project, or one environment of a project. */
export type DefaultsScope =
  | { kind: "domain"; domain: string }
  | { kind: "project"; project: string }
  | { kind: "environment"; project: string; environment: string };

/** `domain:D`, `project:P` or `project:P/environment:E`. */
export function scopeId(scope: DefaultsScope): string {
  switch (scope.kind) {
    case "domain":
      return `domain:${scope.domain}`;
    case "project":
      return `project:${scope.project}`;
    case "environment":
      return `project:${scope.project}/environment:${scope.environment}`;
  }
}

export const resourceDefaultsSchema = resourceDefaultsSpecSchema
  .extend({
    scope: z.string(),
    domain: nameSchema.optional(),
    project: nameSchema.optional(),
    environment: nameSchema.optional(),
  })
  .extend(metaSchema.shape);
export type ResourceDefaults = z.output<typeof resourceDefaultsSchema>;
