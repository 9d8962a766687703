import { z } from "zod";
import { domainCreateSchema, type Domain } from "../model";
import { orUndefined } from "../client";
import { defined, patchOf, providerFor, type KindSpec, type Meta, registered } from "./kind-provider";

export const domainInputsSchema = domainCreateSchema;
export type DomainInputs = z.output<typeof domainInputsSchema>;
export type DomainOutputs = DomainInputs & Meta;
const mutable = ["displayName", "description", "order", "clusters"] as const;

export const domainSpec = {
  ...registered("Domain"),
  schema: domainInputsSchema,
  id: (inputs) => inputs.name,
  get: (api, inputs) => orUndefined(api.domains.get(inputs.name)),
  inStack: (objects, inputs) => objects.domains.find((domain) => domain.name === inputs.name),
  create: (api, inputs) => api.domains.create(inputs),
  update: (api, olds, news) => api.domains.update(olds.name, patchOf(mutable, olds, news), olds.version),
  delete: (api, olds) => api.domains.delete(olds.name, olds.version),
  toOutputs: (live) =>
    defined({
      name: live.name,
      tier: live.tier,
      displayName: live.displayName,
      description: live.description,
      order: live.order,
      clusters: live.clusters,
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<DomainInputs, Domain, DomainOutputs>;

export const domainProvider = providerFor(domainSpec);
