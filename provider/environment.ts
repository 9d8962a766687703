import { z } from "zod";
import { environmentCreateSchema, environmentId, nameSchema, type Environment } from "../model";
import { orUndefined } from "../client";
import {
  declaredFlag,
  defined,
  patchOf,
  providerFor,
  unknownValue,
  type KindSpec,
  type Meta,
  registered,
} from "./kind-provider";
import { environmentIn } from "./shared-reads";

export const environmentInputsSchema = environmentCreateSchema
  .extend({ project: nameSchema })
  .transform((inputs) => ({ ...inputs, name: inputs.name ?? inputs.domain }));
export type EnvironmentInputs = z.output<typeof environmentInputsSchema>;
export type EnvironmentOutputs = EnvironmentInputs & Meta;
const mutable = ["description", "labels", "protected", "clusters", "approval"] as const;

export const environmentSpec = {
  ...registered("Environment"),
  schema: environmentInputsSchema,
  id: (inputs) => environmentId(inputs.project, inputs.name),
  // A known new project is a transfer; an unknown one means the project itself is being replaced.
  replaceWhenUnknown: ["project"],
  // The name defaults to the domain's: while the domain is unknown, so is the name.
  prepare: (news) =>
    news.name === undefined && news.domain === unknownValue ? { ...news, name: unknownValue } : news,
  get: (api, inputs) => orUndefined(api.environments.get(inputs.project, inputs.name)),
  shared: {
    project: (inputs) => inputs.project,
    find: (objects, inputs) => environmentIn(objects, inputs.name)?.environment,
  },
  create: (api, { project, ...body }) => api.environments.create(project, body),
  // A new project is a transfer: the environment moves with everything bound to it, in the same
  // request as any other change.
  update: (api, olds, news) =>
    api.environments.update(
      olds.project,
      olds.name,
      {
        ...patchOf(mutable, olds, { ...news, protected: news.protected ?? false }),
        ...(news.project !== olds.project ? { project: news.project } : {}),
      },
      olds.version,
    ),
  delete: (api, olds) => api.environments.delete(olds.project, olds.name, olds.version),
  // Protected in the control plane as last read (even when the program gives `protected` as an
  // Output, which Pulumi's protect cannot see): a replacement would delete it.
  refuseReplacement: (olds) =>
    olds.protected === true
      ? "it is protected, and a replacement deletes it; set protected to false and run pulumi up first"
      : undefined,
  toOutputs: (live, inputs) =>
    defined({
      project: live.project,
      name: live.name,
      domain: live.domain,
      description: live.description,
      labels: live.labels,
      protected: declaredFlag(inputs.protected, live.protected),
      clusters: live.clusters,
      approval: live.approval && {
        approvers: live.approval.approvers,
        // Left unset in the program, the default (1) reads back as unset: no diff.
        ...(inputs.approval?.required === undefined && live.approval.required === 1
          ? {}
          : { required: live.approval.required }),
      },
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<EnvironmentInputs, Environment, EnvironmentOutputs>;

export const environmentProvider = providerFor(environmentSpec);
