import * as m from "../../../model";
import { route } from "../route";

/** What the web console's pages read, each in one request. */
export const consoleRoutes = [
  route({
    method: "GET",
    url: "/v1/console/matrix",
    operationId: "getConsoleMatrix",
    tag: "console",
    summary:
      "The project × domain matrix: every domain, and the environments the caller may read, with quota use",
    response: m.matrixSchema,
    handle: (s, r) => s.console.matrix(r.actor),
  }),
  route({
    method: "GET",
    url: "/v1/console/projects/:project",
    operationId: "getConsoleProject",
    tag: "console",
    summary: "A project's page: its environments at a glance and who has access",
    response: m.projectPageSchema,
    handle: (s, r) => s.console.project(r.actor, r.params.project),
  }),
  route({
    method: "GET",
    url: "/v1/console/projects/:project/environments/:environment",
    operationId: "getConsolePair",
    tag: "console",
    summary:
      "A project-domain pair's dashboard: secrets, access, executions over 24 hours, latest audit entries",
    response: m.pairDashboardSchema,
    handle: (s, r) => s.console.pair(r.actor, r.params.project, r.params.environment),
  }),
];
