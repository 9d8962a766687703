import { z } from "zod";
import {
  TenancyError,
  nameSchema,
  resourceDefaultsSpecSchema,
  scopeId,
  type DefaultsScope,
  type ResourceDefaults,
} from "../model";
import { orUndefined } from "../client";
import { defined, providerFor, type KindSpec, type Meta, registered } from "./kind-provider";
import { environmentIn } from "./shared-reads";

/** Exactly one scope: a domain, a project, or a project and one of its environments. */
export const resourceDefaultsInputsSchema = resourceDefaultsSpecSchema
  .extend({
    domain: nameSchema.optional(),
    project: nameSchema.optional(),
    environment: nameSchema.optional(),
  })
  .superRefine((inputs, ctx) => {
    if ((inputs.domain === undefined) === (inputs.project === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["domain"],
        message: "give exactly one scope: domain, or project (with environment optional)",
      });
    }
    if (inputs.environment !== undefined && inputs.project === undefined) {
      ctx.addIssue({ code: "custom", path: ["environment"], message: "environment needs project" });
    }
  });
export type ResourceDefaultsInputs = z.output<typeof resourceDefaultsInputsSchema>;
export type ResourceDefaultsOutputs = ResourceDefaultsInputs & Meta;

export function scopeOf(inputs: ResourceDefaultsInputs): DefaultsScope {
  if (inputs.domain !== undefined) return { kind: "domain", domain: inputs.domain };
  if (inputs.environment !== undefined)
    return { kind: "environment", project: inputs.project!, environment: inputs.environment };
  return { kind: "project", project: inputs.project! };
}

const specOf = (inputs: ResourceDefaultsInputs) =>
  defined({ requests: inputs.requests, limits: inputs.limits });

export const resourceDefaultsSpec = {
  ...registered("ResourceDefaults"),
  schema: resourceDefaultsInputsSchema,
  id: (inputs) => scopeId(scopeOf(inputs)),
  followsEnvironment: true,
  get: (api, inputs) => orUndefined(api.defaults.get(scopeOf(inputs))),
  shared: {
    project: (inputs) => (inputs.domain === undefined ? inputs.project : undefined),
    find: (objects, inputs) =>
      inputs.environment === undefined
        ? objects.defaults
        : environmentIn(objects, inputs.environment)?.defaults,
  },
  async create(api, inputs) {
    const scope = scopeOf(inputs);
    if (await orUndefined(api.defaults.get(scope))) {
      throw new TenancyError("conflict", `${scopeId(scope)} already has resource defaults`);
    }
    return api.defaults.put(scope, specOf(inputs));
  },
  update: (api, olds, news) => api.defaults.put(scopeOf(news), specOf(news), olds.version),
  delete: (api, olds) => api.defaults.delete(scopeOf(olds), olds.version),
  toOutputs: (live) =>
    defined({
      domain: live.domain,
      project: live.project,
      environment: live.environment,
      requests: live.requests,
      limits: live.limits,
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<ResourceDefaultsInputs, ResourceDefaults, ResourceDefaultsOutputs>;

export const resourceDefaultsProvider = providerFor(resourceDefaultsSpec);
