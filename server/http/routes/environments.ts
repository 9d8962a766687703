import * as m from "../../../model";
import { environmentGuard } from "../guards";
import { envUrl as env, route } from "../route";

export const environmentsRoutes = [
  route({
    method: "GET",
    url: "/v1/projects/:project/environments",
    operationId: "listEnvironments",
    tag: "environments",
    summary: "List a project's environments",
    response: m.environmentSchema.array(),
    handle: (s, r) => s.environments.list(r.actor, r.params.project),
  }),
  route({
    method: "POST",
    url: "/v1/projects/:project/environments",
    operationId: "createEnvironment",
    tag: "environments",
    summary: "Create an environment",
    status: 201,
    body: m.environmentCreateSchema,
    response: m.environmentSchema,
    handle: (s, r) => s.environments.create(r.actor, r.params.project, r.body, r.idempotencyKey),
  }),
  route({
    method: "GET",
    url: env,
    operationId: "getEnvironment",
    tag: "environments",
    summary: "Get an environment",
    response: m.environmentSchema,
    authenticatedRead: "environment",
    handle: (s, r) => s.environments.get(r.actor, r.params.project, r.params.environment),
  }),
  route({
    method: "PATCH",
    url: env,
    operationId: "updateEnvironment",
    tag: "environments",
    summary: "Change an environment (If-Match)",
    body: m.environmentPatchSchema,
    response: m.environmentSchema,
    guard: environmentGuard,
    handle: (s, r) =>
      s.environments.update(r.actor, r.params.project, r.params.environment, r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: env,
    operationId: "deleteEnvironment",
    tag: "environments",
    summary: "Delete an unprotected environment (If-Match)",
    status: 204,
    guard: environmentGuard,
    handle: (s, r) =>
      s.environments.remove(r.actor, r.params.project, r.params.environment, r.expectedVersion),
  }),
  route({
    method: "POST",
    url: `${env}/transfer`,
    operationId: "transferEnvironment",
    tag: "environments",
    summary: "Move an environment, with everything bound to it, to another project (If-Match)",
    body: m.environmentTransferSchema,
    response: m.environmentSchema,
    guard: environmentGuard,
    handle: (s, r) =>
      s.environments.transfer(r.actor, r.params.project, r.params.environment, r.body, r.expectedVersion),
  }),
];
