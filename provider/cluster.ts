import { z } from "zod";
import { clusterCreateSchema, type Cluster } from "../model";
import { orUndefined } from "../client";
import { defined, patchOf, providerFor, registered, type KindSpec, type Meta } from "./kind-provider";

export const clusterInputsSchema = clusterCreateSchema;
export type ClusterInputs = z.output<typeof clusterInputsSchema>;
export type ClusterOutputs = ClusterInputs & Meta;
const mutable = ["displayName", "description", "labels"] as const;

export const clusterSpec = {
  ...registered("Cluster"),
  schema: clusterInputsSchema,
  id: (inputs) => inputs.name,
  get: (api, inputs) => orUndefined(api.clusters.get(inputs.name)),
  create: (api, inputs) => api.clusters.create(inputs),
  update: (api, olds, news) => api.clusters.update(olds.name, patchOf(mutable, olds, news), olds.version),
  delete: (api, olds) => api.clusters.delete(olds.name, olds.version),
  toOutputs: (live) =>
    defined({
      name: live.name,
      displayName: live.displayName,
      description: live.description,
      labels: live.labels,
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<ClusterInputs, Cluster, ClusterOutputs>;

export const clusterProvider = providerFor(clusterSpec);
