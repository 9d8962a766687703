import * as m from "../../../model";
import { envUrl as env, route } from "../route";

export const quotasRoutes = [
  route({
    method: "GET",
    url: `${env}/quota`,
    operationId: "getEnvironmentQuota",
    tag: "quotas",
    summary: "Get an environment's quota and usage",
    response: m.quotaSchema.extend({ usage: m.quotaUsageSchema }),
    handle: (s, r) => s.quotas.get(r.actor, r.params.project, r.params.environment),
  }),
  route({
    method: "PUT",
    url: `${env}/quota`,
    operationId: "putEnvironmentQuota",
    tag: "quotas",
    summary: "Create or replace an environment's quota",
    body: m.quotaSpecSchema,
    response: m.quotaSchema,
    handle: (s, r) =>
      s.quotas.put(r.actor, r.params.project, r.params.environment, r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: `${env}/quota`,
    operationId: "deleteEnvironmentQuota",
    tag: "quotas",
    summary: "Remove an environment's quota",
    status: 204,
    handle: (s, r) => s.quotas.remove(r.actor, r.params.project, r.params.environment, r.expectedVersion),
  }),
];
