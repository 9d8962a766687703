import * as m from "../../../model";
import { route } from "../route";

export const projectsRoutes = [
  route({
    method: "GET",
    url: "/v1/projects",
    operationId: "listProjects",
    tag: "projects",
    summary: "List the projects the caller holds a role in",
    response: m.projectSchema.array(),
    handle: (s, r) => s.projects.list(r.actor),
  }),
  route({
    method: "POST",
    url: "/v1/projects",
    operationId: "createProject",
    tag: "projects",
    summary: "Create a project",
    status: 201,
    body: m.projectCreateSchema,
    response: m.projectSchema,
    handle: (s, r) => s.projects.create(r.actor, r.body, r.idempotencyKey),
  }),
  route({
    method: "GET",
    url: "/v1/projects/:project",
    operationId: "getProject",
    tag: "projects",
    summary: "Get a project",
    response: m.projectSchema,
    handle: (s, r) => s.projects.get(r.actor, r.params.project),
  }),
  route({
    method: "PATCH",
    url: "/v1/projects/:project",
    operationId: "updateProject",
    tag: "projects",
    summary: "Change a project (If-Match)",
    body: m.projectPatchSchema,
    response: m.projectSchema,
    handle: (s, r) => s.projects.update(r.actor, r.params.project, r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: "/v1/projects/:project",
    operationId: "deleteProject",
    tag: "projects",
    summary: "Delete a project without environments (If-Match)",
    status: 204,
    handle: (s, r) => s.projects.remove(r.actor, r.params.project, r.expectedVersion),
  }),
  route({
    method: "GET",
    url: "/v1/projects/:project/objects",
    operationId: "getProjectObjects",
    tag: "projects",
    summary:
      "A project's objects in one answer (environments, quotas, defaults, secret bindings without values, role bindings), each as its own GET answers it",
    response: m.projectObjectsSchema,
    handle: (s, r) => s.projectObjects.get(r.actor, r.params.project),
  }),
  route({
    method: "GET",
    url: "/v1/objects",
    operationId: "getStackObjects",
    tag: "projects",
    summary:
      "A Pulumi stack's objects in one answer (`stack`: urn:pulumi:<stack>::<project>): each project in which it manages an object, as GET /v1/projects/{p}/objects answers it, and every domain",
    response: m.stackObjectsSchema,
    handle: (s, r) => s.stackObjects.get(r.actor, r.query),
  }),
];
