import * as m from "../../../model";

import { roleBindingCreateGuard, roleBindingDeleteGuard } from "../guards";
import { route } from "../route";

export const roleBindingsRoutes = [
  route({
    method: "GET",
    url: "/v1/projects/:project/role-bindings",
    operationId: "listRoleBindings",
    tag: "role-bindings",
    summary: "List a project's role bindings",
    response: m.roleBindingSchema.array(),
    handle: (s, r) =>
      s.roleBindings.list(r.actor, r.params.project, {
        ...(typeof r.query.environment === "string" ? { environment: r.query.environment } : {}),
        ...(typeof r.query.subject === "string" ? { subject: r.query.subject } : {}),
        ...(r.query.expired === "true" ? { expired: true } : {}),
      }),
  }),
  route({
    method: "POST",
    url: "/v1/projects/:project/role-bindings",
    operationId: "createRoleBinding",
    tag: "role-bindings",
    summary: "Grant a role on the project or one environment",
    status: 201,
    body: m.roleBindingCreateSchema,
    response: m.roleBindingSchema,
    guard: roleBindingCreateGuard,
    handle: (s, r) => s.roleBindings.create(r.actor, r.params.project, r.body, r.idempotencyKey),
  }),
  route({
    method: "GET",
    url: "/v1/projects/:project/role-bindings/:id",
    operationId: "getRoleBinding",
    tag: "role-bindings",
    summary: "Get a role binding",
    response: m.roleBindingSchema,
    handle: (s, r) => s.roleBindings.get(r.actor, r.params.project, r.params.id),
  }),
  route({
    method: "DELETE",
    url: "/v1/projects/:project/role-bindings/:id",
    operationId: "deleteRoleBinding",
    tag: "role-bindings",
    summary: "Revoke a role binding (effective on the next request)",
    status: 204,
    guard: roleBindingDeleteGuard,
    handle: (s, r) => s.roleBindings.remove(r.actor, r.params.project, r.params.id, r.expectedVersion),
  }),
];
