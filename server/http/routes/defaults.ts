import * as m from "../../../model";
import { defaultsGuard } from "../guards";
import { envScope, envUrl as env, route } from "../route";

export const defaultsRoutes = [
  route({
    method: "GET",
    url: "/v1/domains/:domain/defaults",
    operationId: "getDomainDefaults",
    tag: "defaults",
    summary: "Get a domain's resource defaults",
    response: m.resourceDefaultsSchema,
    handle: (s, r) => s.defaults.get(r.actor, { kind: "domain", domain: r.params.domain }),
  }),
  route({
    method: "PUT",
    url: "/v1/domains/:domain/defaults",
    operationId: "putDomainDefaults",
    tag: "defaults",
    summary: "Set a domain's resource defaults",
    body: m.resourceDefaultsSpecSchema,
    response: m.resourceDefaultsSchema,
    handle: (s, r) =>
      s.defaults.put(r.actor, { kind: "domain", domain: r.params.domain }, r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: "/v1/domains/:domain/defaults",
    operationId: "deleteDomainDefaults",
    tag: "defaults",
    summary: "Remove a domain's resource defaults",
    status: 204,
    handle: (s, r) =>
      s.defaults.remove(r.actor, { kind: "domain", domain: r.params.domain }, r.expectedVersion),
  }),
  route({
    method: "GET",
    url: "/v1/projects/:project/defaults",
    operationId: "getProjectDefaults",
    tag: "defaults",
    summary: "Get a project's resource defaults",
    response: m.resourceDefaultsSchema,
    handle: (s, r) => s.defaults.get(r.actor, { kind: "project", project: r.params.project }),
  }),
  route({
    method: "PUT",
    url: "/v1/projects/:project/defaults",
    operationId: "putProjectDefaults",
    tag: "defaults",
    summary: "Set a project's resource defaults",
    body: m.resourceDefaultsSpecSchema,
    response: m.resourceDefaultsSchema,
    handle: (s, r) =>
      s.defaults.put(r.actor, { kind: "project", project: r.params.project }, r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: "/v1/projects/:project/defaults",
    operationId: "deleteProjectDefaults",
    tag: "defaults",
    summary: "Remove a project's resource defaults",
    status: 204,
    handle: (s, r) =>
      s.defaults.remove(r.actor, { kind: "project", project: r.params.project }, r.expectedVersion),
  }),
  route({
    method: "GET",
    url: `${env}/defaults`,
    operationId: "getEnvironmentDefaults",
    tag: "defaults",
    summary: "Get an environment's resource defaults",
    response: m.resourceDefaultsSchema,
    handle: (s, r) => s.defaults.get(r.actor, envScope(r.params)),
  }),
  route({
    method: "PUT",
    url: `${env}/defaults`,
    operationId: "putEnvironmentDefaults",
    tag: "defaults",
    summary: "Set an environment's resource defaults",
    body: m.resourceDefaultsSpecSchema,
    response: m.resourceDefaultsSchema,
    guard: defaultsGuard,
    handle: (s, r) => s.defaults.put(r.actor, envScope(r.params), r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: `${env}/defaults`,
    operationId: "deleteEnvironmentDefaults",
    tag: "defaults",
    summary: "Remove an environment's resource defaults",
    status: 204,
    guard: defaultsGuard,
    handle: (s, r) => s.defaults.remove(r.actor, envScope(r.params), r.expectedVersion),
  }),
];
