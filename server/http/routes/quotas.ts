import * as m from "../../../model";
import { quotaGuard } from "../guards";
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
    guard: quotaGuard,
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
    guard: quotaGuard,
    handle: (s, r) => s.quotas.remove(r.actor, r.params.project, r.params.environment, r.expectedVersion),
  }),

  ...(["project", "domain"] as const).flatMap((level) => {
    const url = level === "project" ? "/v1/projects/:project/quota" : "/v1/domains/:domain/quota";
    const Level = level === "project" ? "Project" : "Domain";
    const scopeOf = (params: Record<string, string>): m.CeilingScope =>
      level === "project"
        ? { kind: "project", project: params.project! }
        : { kind: "domain", domain: params.domain! };
    return [
      route({
        method: "GET",
        url,
        operationId: `get${Level}Quota`,
        tag: "quotas",
        summary: `Get a ${level}'s ceiling, with what the quotas below it add up to and their usage`,
        response: m.ceilingWithUseSchema,
        handle: (s, r) => s.ceilings.get(r.actor, scopeOf(r.params)),
      }),
      route({
        method: "PUT",
        url,
        operationId: `put${Level}Quota`,
        tag: "quotas",
        summary: `Create or replace a ${level}'s ceiling`,
        body: m.quotaSpecSchema,
        response: m.ceilingSchema,
        handle: (s, r) => s.ceilings.put(r.actor, scopeOf(r.params), r.body, r.expectedVersion),
      }),
      route({
        method: "DELETE",
        url,
        operationId: `delete${Level}Quota`,
        tag: "quotas",
        summary: `Remove a ${level}'s ceiling`,
        status: 204,
        handle: (s, r) => s.ceilings.remove(r.actor, scopeOf(r.params), r.expectedVersion),
      }),
    ];
  }),
];
