import { z } from "zod";
import { TenancyError, environmentId, nameSchema, quotaSpecSchema, type Quota } from "../model";
import { orUndefined } from "../client";
import { defined, providerFor, type KindSpec, type Meta } from "./kind-provider";

export const quotaInputsSchema = quotaSpecSchema.extend({ project: nameSchema, environment: nameSchema });
export type QuotaInputs = z.output<typeof quotaInputsSchema>;
export type QuotaOutputs = QuotaInputs & Meta;
const limits = ["cpu", "memory", "gpu", "storage", "maxConcurrentExecutions"] as const;

const specOf = (inputs: QuotaInputs) => defined(Object.fromEntries(limits.map((k) => [k, inputs[k]])));

export const quotaSpec = {
  kind: "Quota",
  schema: quotaInputsSchema,
  id: (inputs) => environmentId(inputs.project, inputs.environment),
  fields: ["project", "environment", ...limits],
  followsEnvironment: true,
  replaceOn: ["project", "environment"],
  get: (api, inputs) => orUndefined(api.quotas.get(inputs.project, inputs.environment)),
  async create(api, inputs) {
    // PUT creates or replaces: refuse to replace a quota this stack did not create.
    if (await orUndefined(api.quotas.get(inputs.project, inputs.environment))) {
      throw new TenancyError(
        "conflict",
        `environment ${environmentId(inputs.project, inputs.environment)} already has a quota`,
      );
    }
    return api.quotas.put(inputs.project, inputs.environment, specOf(inputs));
  },
  update: (api, olds, news) => api.quotas.put(news.project, news.environment, specOf(news), olds.version),
  delete: (api, olds) => api.quotas.delete(olds.project, olds.environment, olds.version),
  toOutputs: (live) =>
    defined({
      project: live.project,
      environment: live.environment,
      cpu: live.cpu,
      memory: live.memory,
      gpu: live.gpu,
      storage: live.storage,
      maxConcurrentExecutions: live.maxConcurrentExecutions,
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<QuotaInputs, Quota, QuotaOutputs>;

export const quotaProvider = providerFor(quotaSpec);
