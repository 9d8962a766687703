import { z } from "zod";
import {
  TenancyError,
  ceilingId,
  environmentId,
  nameSchema,
  quotaDimensions,
  quotaSpecSchema,
  type Ceiling,
  type CeilingScope,
  type Quota,
} from "../model";
import { orUndefined, type TenancyClient } from "../client";
import { defined, providerFor, type KindSpec, type Meta, registered } from "./kind-provider";
import { environmentIn } from "./shared-reads";

/** A quota's scope is exactly one of: an environment (`project` and `environment`), a project's
 * ceiling (`project` alone) or a domain's ceiling (`domain`). */
export const quotaInputsSchema = quotaSpecSchema
  .extend({
    project: nameSchema.optional(),
    environment: nameSchema.optional(),
    domain: nameSchema.optional(),
  })
  .superRefine((inputs, ctx) => {
    if (inputs.domain !== undefined && (inputs.project !== undefined || inputs.environment !== undefined)) {
      ctx.addIssue({
        code: "custom",
        path: ["domain"],
        message: "a quota has one scope: domain, or project (with environment)",
      });
    } else if (inputs.domain === undefined && inputs.project === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["project"],
        message: "a quota needs a scope: project (with environment) or domain",
      });
    }
  });
export type QuotaInputs = z.output<typeof quotaInputsSchema>;
export type QuotaOutputs = QuotaInputs & Meta;

type Scope = { kind: "environment"; project: string; environment: string } | CeilingScope;

function scopeOf(inputs: Pick<QuotaInputs, "project" | "environment" | "domain">): Scope {
  if (inputs.domain !== undefined) return { kind: "domain", domain: inputs.domain };
  if (inputs.environment !== undefined) {
    return { kind: "environment", project: inputs.project!, environment: inputs.environment };
  }
  return { kind: "project", project: inputs.project! };
}

const specOf = (inputs: QuotaInputs) =>
  defined(Object.fromEntries(quotaDimensions.map((k) => [k, inputs[k]])));

function get(api: TenancyClient, scope: Scope): Promise<Quota | Ceiling | undefined> {
  return scope.kind === "environment"
    ? orUndefined(api.quotas.get(scope.project, scope.environment))
    : orUndefined(api.ceilings.get(scope));
}

function put(api: TenancyClient, scope: Scope, inputs: QuotaInputs, version?: number) {
  return scope.kind === "environment"
    ? api.quotas.put(scope.project, scope.environment, specOf(inputs), version)
    : api.ceilings.put(scope, specOf(inputs), version);
}

const idOf = (scope: Scope) =>
  scope.kind === "environment" ? environmentId(scope.project, scope.environment) : ceilingId(scope);

export const quotaSpec = {
  ...registered("Quota"),
  schema: quotaInputsSchema,
  id: (inputs) => idOf(scopeOf(inputs)),
  followsEnvironment: true,
  recordsDeletedWith: true,
  get: (api, inputs) => get(api, scopeOf(inputs)),
  shared: {
    project: (inputs) => (inputs.domain === undefined ? inputs.project : undefined),
    find: (objects, inputs) =>
      inputs.environment === undefined ? objects.ceiling : environmentIn(objects, inputs.environment)?.quota,
  },
  async create(api, inputs) {
    // PUT creates or replaces: refuse to replace a quota this stack did not create.
    const scope = scopeOf(inputs);
    if (await get(api, scope)) throw new TenancyError("conflict", `${idOf(scope)} already has a quota`);
    return put(api, scope, inputs);
  },
  update: (api, olds, news) => put(api, scopeOf(news), news, olds.version),
  delete(api, olds) {
    const scope = scopeOf(olds);
    return scope.kind === "environment"
      ? api.quotas.delete(scope.project, scope.environment, olds.version)
      : api.ceilings.delete(scope, olds.version);
  },
  toOutputs: (live) =>
    defined({
      project: live.project,
      environment: "environment" in live ? live.environment : undefined,
      domain: "domain" in live ? live.domain : undefined,
      ...Object.fromEntries(quotaDimensions.map((d) => [d, live[d]])),
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<QuotaInputs, Quota | Ceiling, QuotaOutputs>;

export const quotaProvider = providerFor(quotaSpec);
