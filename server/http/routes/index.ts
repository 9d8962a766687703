// Every route of the API, one module per kind.
import type { RouteSpec } from "../route";
import { auditRoutes } from "./audit";
import { changesRoutes } from "./changes";
import { clustersRoutes } from "./clusters";
import { consoleRoutes } from "./console";
import { defaultsRoutes } from "./defaults";
import { domainsRoutes } from "./domains";
import { effectiveRoutes } from "./effective";
import { environmentsRoutes } from "./environments";
import { projectsRoutes } from "./projects";
import { quotasRoutes } from "./quotas";
import { requestsRoutes } from "./requests";
import { reservationsRoutes } from "./reservations";
import { roleBindingsRoutes } from "./role-bindings";
import { secretsRoutes } from "./secrets";
import { teamsRoutes } from "./teams";
import { tokensRoutes } from "./tokens";

export const routes: readonly RouteSpec[] = [
  ...domainsRoutes,
  ...clustersRoutes,
  ...projectsRoutes,
  ...environmentsRoutes,
  ...quotasRoutes,
  ...defaultsRoutes,
  ...effectiveRoutes,
  ...secretsRoutes,
  ...roleBindingsRoutes,
  ...reservationsRoutes,
  ...tokensRoutes,
  ...teamsRoutes,
  ...auditRoutes,
  ...changesRoutes,
  ...requestsRoutes,
  ...consoleRoutes,
];
