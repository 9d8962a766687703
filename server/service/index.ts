// The control plane's service: every rule of the design, enforced in transactions, behind one
// object with a module per kind. The HTTP layer and the embedded transport both call this.
import { sql } from "kysely";
import type { ServiceDeps } from "./context";
import { accessRequestService } from "./access-requests";
import { auditService } from "./audit-log";
import { changeRequestService } from "./change-requests";
import { ceilingService } from "./ceilings";
import { changeService } from "./changes";
import { clusterService } from "./clusters";
import { clusterSnapshotService } from "./cluster-snapshot";
import { clusterStatusService } from "./cluster-status";
import { consoleService } from "./console";
import { defaultsService } from "./defaults";
import { domainService } from "./domains";
import { effectiveService } from "./effective-config";
import { environmentService } from "./environments";
import { projectObjectsService } from "./project-objects";
import { projectService } from "./projects";
import { quotaService } from "./quotas";
import { reservationService } from "./reservations";
import { roleBindingService } from "./role-bindings";
import { secretService } from "./secrets";
import { stackObjectsService } from "./stack-objects";
import { teamService } from "./teams";
import { directoryService } from "./directory";
import { tokenService } from "./tokens";
import { authenticator } from "./authentication";

export function createService(deps: ServiceDeps) {
  const readers = {
    projects: projectService(deps),
    environments: environmentService(deps),
    quotas: quotaService(deps),
    ceilings: ceilingService(deps),
    defaults: defaultsService(deps),
    secrets: secretService(deps),
    roleBindings: roleBindingService(deps),
  };
  const projectObjects = projectObjectsService(readers);
  const domains = domainService(deps);
  return {
    ...readers,
    projectObjects,
    stackObjects: stackObjectsService(deps.db, { projectObjects, domains }),
    domains,
    clusters: clusterService(deps),
    clusterStatus: clusterStatusService(deps),
    clusterSnapshot: clusterSnapshotService(deps),
    reservations: reservationService(deps),
    effective: effectiveService(deps),
    tokens: tokenService(deps),
    authenticate: authenticator(deps),
    teams: teamService(deps),
    directory: directoryService(deps),
    audit: auditService(deps),
    changes: changeService(deps),
    changeRequests: changeRequestService(deps),
    accessRequests: accessRequestService(deps),
    console: consoleService(deps),
    /** Resolves when the database answers a query; rejects with its error otherwise. */
    ready: async () => void (await sql`select 1`.execute(deps.db)),
  };
}

export type Service = ReturnType<typeof createService>;
export type { Actor, AuthenticatedRead, Clock, ServiceDeps } from "./context";
export { createKeyring, parseKey, type Keyring } from "./crypto";
export { openKeys } from "./key-check";
export { hashToken } from "./tokens";
export { withWriteContext, type WriteContext } from "./write-context";
export type { GuardedWrite, Replay, Replayer, StoredWrite } from "./change-requests";
export { defaultMaxAccess } from "./access-requests";
