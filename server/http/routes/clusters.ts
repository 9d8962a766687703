import * as m from "../../../model";
import { route } from "../route";

export const clustersRoutes = [
  route({
    method: "GET",
    url: "/v1/clusters",
    operationId: "listClusters",
    tag: "clusters",
    summary: "List clusters",
    response: m.clusterSchema.array(),
    handle: (s, r) => s.clusters.list(r.actor),
  }),
  route({
    method: "POST",
    url: "/v1/clusters",
    operationId: "createCluster",
    tag: "clusters",
    summary: "Create a cluster",
    status: 201,
    body: m.clusterCreateSchema,
    response: m.clusterSchema,
    handle: (s, r) => s.clusters.create(r.actor, r.body, r.idempotencyKey),
  }),
  route({
    method: "GET",
    url: "/v1/clusters/:cluster",
    operationId: "getCluster",
    tag: "clusters",
    summary: "Get a cluster",
    response: m.clusterSchema,
    handle: (s, r) => s.clusters.get(r.actor, r.params.cluster),
  }),
  route({
    method: "PATCH",
    url: "/v1/clusters/:cluster",
    operationId: "updateCluster",
    tag: "clusters",
    summary: "Change a cluster (If-Match)",
    body: m.clusterPatchSchema,
    response: m.clusterSchema,
    handle: (s, r) => s.clusters.update(r.actor, r.params.cluster, r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: "/v1/clusters/:cluster",
    operationId: "deleteCluster",
    tag: "clusters",
    summary: "Delete a cluster nothing is placed on (If-Match)",
    status: 204,
    handle: (s, r) => s.clusters.remove(r.actor, r.params.cluster, r.expectedVersion),
  }),

  route({
    method: "PUT",
    url: "/v1/clusters/:cluster/environments/:project/:environment/status",
    operationId: "reportClusterStatus",
    tag: "clusters",
    summary: "Report what sync found of an environment on a cluster it is placed on",
    status: 204,
    body: m.clusterStatusReportSchema,
    handle: (s, r) =>
      s.clusterStatus.report(r.actor, r.params.cluster, r.params.project, r.params.environment, r.body),
  }),
  route({
    method: "GET",
    url: "/v1/projects/:project/environments/:environment/clusters",
    operationId: "listEnvironmentClusters",
    tag: "clusters",
    summary: "The clusters an environment is placed on, with what sync last reported from each",
    response: m.environmentClusterSchema.array(),
    handle: (s, r) => s.clusterStatus.list(r.actor, r.params.project, r.params.environment),
  }),
];
