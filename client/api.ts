// The typed API client: what the provider, the CLI and users' scripts call. It speaks through a
// narrow transport: HTTP to a control plane, or (from the provider layer) the embedded store.
import { randomUUID } from "node:crypto";
import type {
  AccessRequest,
  AccessRequestCreate,
  ChangeRequest,
  AuditEntry,
  Ceiling,
  CeilingScope,
  CeilingWithUse,
  ChangePage,
  Cluster,
  ClusterCreate,
  ClusterPatch,
  ClusterSnapshot,
  ClusterStatusReport,
  EnvironmentCluster,
  DefaultsScope,
  Domain,
  DomainCreate,
  EffectiveConfig,
  DomainPatch,
  Environment,
  EnvironmentCreate,
  EnvironmentPatch,
  IssuedToken,
  Project,
  ProjectCreate,
  ProjectPatch,
  Quota,
  QuotaSpec,
  QuotaUsage,
  Reservation,
  ReservationCreate,
  ResourceDefaults,
  ResourceDefaultsSpec,
  RoleBinding,
  RoleBindingCreate,
  SecretBinding,
  SecretReveal,
  ProjectObjects,
  StackObjects,
  ClusterStatusBatch,
  ClusterStatusBatchResult,
  SecretsReveal,
  SecretsRevealed,
  SyncHeartbeat,
  Team,
  TeamCreate,
  TeamMember,
  TeamPatch,
  Token,
  TokenCreate,
} from "../model";
import { kindRegistry } from "../model/kinds";
import { pathOf, type Transport, type WriteOwnership } from "./transport";

/** The API's top-level collection of each kind that has one, from the kinds registry. */
const collectionOf = {
  Domain: kindRegistry.Domain.apiPath[0],
  Cluster: kindRegistry.Cluster.apiPath[0],
  Project: kindRegistry.Project.apiPath[0],
  Team: kindRegistry.Team.apiPath[0],
  ApiToken: kindRegistry.ApiToken.apiPath[0],
};

function defaultsPath(scope: DefaultsScope): string {
  switch (scope.kind) {
    case "domain":
      return pathOf(collectionOf.Domain, scope.domain, "defaults");
    case "project":
      return pathOf(collectionOf.Project, scope.project, "defaults");
    case "environment":
      return pathOf(collectionOf.Project, scope.project, "environments", scope.environment, "defaults");
  }
}

function ceilingPath(scope: CeilingScope): string {
  return scope.kind === "project"
    ? pathOf(collectionOf.Project, scope.project, "quota")
    : pathOf(collectionOf.Domain, scope.domain, "quota");
}

const envPath = (project: string, environment: string, ...rest: string[]) =>
  pathOf(collectionOf.Project, project, "environments", environment, ...rest);

export type SecretCreateInput = { name: string; value?: string; reference?: string; description?: string };
export type SecretPatchInput = { value?: string; reference?: string; description?: string | null };

/** The typed endpoints of the control plane API over `t`. */
function endpoints(t: Transport) {
  // Each create gets its own key, reused by the transport's retries of that same call.
  const key = () => randomUUID();
  return {
    domains: {
      list: () => t.send<Domain[]>({ method: "GET", path: pathOf(collectionOf.Domain) }),
      get: (name: string) => t.send<Domain>({ method: "GET", path: pathOf(collectionOf.Domain, name) }),
      create: (body: DomainCreate) =>
        t.send<Domain>({ method: "POST", path: pathOf(collectionOf.Domain), body, idempotencyKey: key() }),
      update: (name: string, body: DomainPatch, version: number) =>
        t.send<Domain>({ method: "PATCH", path: pathOf(collectionOf.Domain, name), body, ifMatch: version }),
      delete: (name: string, version: number) =>
        t.send<void>({ method: "DELETE", path: pathOf(collectionOf.Domain, name), ifMatch: version }),
    },
    clusters: {
      list: () => t.send<Cluster[]>({ method: "GET", path: pathOf(collectionOf.Cluster) }),
      get: (name: string) => t.send<Cluster>({ method: "GET", path: pathOf(collectionOf.Cluster, name) }),
      create: (body: ClusterCreate) =>
        t.send<Cluster>({ method: "POST", path: pathOf(collectionOf.Cluster), body, idempotencyKey: key() }),
      update: (name: string, body: ClusterPatch, version: number) =>
        t.send<Cluster>({
          method: "PATCH",
          path: pathOf(collectionOf.Cluster, name),
          body,
          ifMatch: version,
        }),
      delete: (name: string, version: number) =>
        t.send<void>({ method: "DELETE", path: pathOf(collectionOf.Cluster, name), ifMatch: version }),
      /** What sync found of an environment on this cluster. */
      reportStatus: (name: string, project: string, environment: string, body: ClusterStatusReport) =>
        t.send<void>({
          method: "PUT",
          path: pathOf(collectionOf.Cluster, name, "environments", project, environment, "status"),
          body,
        }),
      /** A pass's reports and releases in one request. */
      reportStatuses: (name: string, body: ClusterStatusBatch) =>
        t.send<ClusterStatusBatchResult>({
          method: "PUT",
          path: pathOf(collectionOf.Cluster, name, "status"),
          body,
        }),
      /** Drops the report of an environment sync keeps nothing for there any more. */
      forgetStatus: (name: string, project: string, environment: string) =>
        t.send<void>({
          method: "DELETE",
          path: pathOf(collectionOf.Cluster, name, "environments", project, environment, "status"),
        }),
      /** Everything placed on the cluster, with the change feed's revision it was read at. */
      snapshot: (name: string) =>
        t.send<ClusterSnapshot>({ method: "GET", path: pathOf(collectionOf.Cluster, name, "environments") }),
      /** Says the cluster's sync is alive and which process leads it. */
      heartbeat: (name: string, body: SyncHeartbeat) =>
        t.send<void>({ method: "PUT", path: pathOf(collectionOf.Cluster, name, "sync"), body }),
      /** The clusters an environment is placed on, with the last report from each. */
      ofEnvironment: (project: string, environment: string) =>
        t.send<EnvironmentCluster[]>({ method: "GET", path: envPath(project, environment, "clusters") }),
    },
    projects: {
      list: () => t.send<Project[]>({ method: "GET", path: pathOf(collectionOf.Project) }),
      get: (name: string) => t.send<Project>({ method: "GET", path: pathOf(collectionOf.Project, name) }),
      /** Everything of the project its resources name, in one request (what a refresh reads). */
      objects: (name: string) =>
        t.send<ProjectObjects>({ method: "GET", path: pathOf(collectionOf.Project, name, "objects") }),
      /** Every project a stack (`urn:pulumi:<stack>::<project>`) manages objects in, and every
       * domain, in one request (what a refresh reads first). */
      ofStack: (stack: string) =>
        t.send<StackObjects>({ method: "GET", path: pathOf("objects"), query: { stack } }),
      create: (body: ProjectCreate) =>
        t.send<Project>({ method: "POST", path: pathOf(collectionOf.Project), body, idempotencyKey: key() }),
      update: (name: string, body: ProjectPatch, version: number) =>
        t.send<Project>({
          method: "PATCH",
          path: pathOf(collectionOf.Project, name),
          body,
          ifMatch: version,
        }),
      delete: (name: string, version: number) =>
        t.send<void>({ method: "DELETE", path: pathOf(collectionOf.Project, name), ifMatch: version }),
    },
    environments: {
      list: (project: string) =>
        t.send<Environment[]>({ method: "GET", path: pathOf(collectionOf.Project, project, "environments") }),
      get: (project: string, name: string) =>
        t.send<Environment>({ method: "GET", path: envPath(project, name) }),
      create: (project: string, body: EnvironmentCreate) =>
        t.send<Environment>({
          method: "POST",
          path: pathOf(collectionOf.Project, project, "environments"),
          body,
          idempotencyKey: key(),
        }),
      update: (project: string, name: string, body: EnvironmentPatch, version: number) =>
        t.send<Environment>({ method: "PATCH", path: envPath(project, name), body, ifMatch: version }),
      delete: (project: string, name: string, version: number) =>
        t.send<void>({ method: "DELETE", path: envPath(project, name), ifMatch: version }),
      transfer: (project: string, name: string, to: string, version: number) =>
        t.send<Environment>({
          method: "POST",
          path: envPath(project, name, "transfer"),
          body: { project: to },
          ifMatch: version,
        }),
    },
    quotas: {
      get: (project: string, environment: string) =>
        t.send<Quota & { usage: QuotaUsage }>({
          method: "GET",
          path: envPath(project, environment, "quota"),
        }),
      put: (project: string, environment: string, body: QuotaSpec, version?: number) =>
        t.send<Quota>({
          method: "PUT",
          path: envPath(project, environment, "quota"),
          body,
          ...(version ? { ifMatch: version } : {}),
        }),
      delete: (project: string, environment: string, version: number) =>
        t.send<void>({ method: "DELETE", path: envPath(project, environment, "quota"), ifMatch: version }),
    },
    ceilings: {
      get: (scope: CeilingScope) => t.send<CeilingWithUse>({ method: "GET", path: ceilingPath(scope) }),
      put: (scope: CeilingScope, body: QuotaSpec, version?: number) =>
        t.send<Ceiling>({
          method: "PUT",
          path: ceilingPath(scope),
          body,
          ...(version ? { ifMatch: version } : {}),
        }),
      delete: (scope: CeilingScope, version: number) =>
        t.send<void>({ method: "DELETE", path: ceilingPath(scope), ifMatch: version }),
    },
    defaults: {
      get: (scope: DefaultsScope) => t.send<ResourceDefaults>({ method: "GET", path: defaultsPath(scope) }),
      put: (scope: DefaultsScope, body: ResourceDefaultsSpec, version?: number) =>
        t.send<ResourceDefaults>({
          method: "PUT",
          path: defaultsPath(scope),
          body,
          ...(version ? { ifMatch: version } : {}),
        }),
      delete: (scope: DefaultsScope, version: number) =>
        t.send<void>({ method: "DELETE", path: defaultsPath(scope), ifMatch: version }),
    },
    secrets: {
      list: (project: string, environment: string) =>
        t.send<SecretBinding[]>({ method: "GET", path: envPath(project, environment, "secrets") }),
      get: (project: string, environment: string, name: string) =>
        t.send<SecretBinding>({ method: "GET", path: envPath(project, environment, "secrets", name) }),
      create: (project: string, environment: string, body: SecretCreateInput) =>
        t.send<SecretBinding>({
          method: "POST",
          path: envPath(project, environment, "secrets"),
          body,
          idempotencyKey: key(),
        }),
      update: (project: string, environment: string, name: string, body: SecretPatchInput, version: number) =>
        t.send<SecretBinding>({
          method: "PATCH",
          path: envPath(project, environment, "secrets", name),
          body,
          ifMatch: version,
        }),
      delete: (project: string, environment: string, name: string, version: number) =>
        t.send<void>({
          method: "DELETE",
          path: envPath(project, environment, "secrets", name),
          ifMatch: version,
        }),
      reveal: (project: string, environment: string, name: string) =>
        t.send<SecretReveal>({
          method: "POST",
          path: envPath(project, environment, "secrets", name, "reveal"),
        }),
      /** Several values in one request; each answer is the value or why it was not revealed. */
      revealMany: (secrets: SecretsReveal["secrets"]) =>
        t.send<SecretsRevealed>({ method: "POST", path: "/v1/secrets/reveal", body: { secrets } }),
    },
    roleBindings: {
      /** Expired bindings only with `expired: true`. */
      list: (project: string, filter: { environment?: string; subject?: string; expired?: boolean } = {}) =>
        t.send<RoleBinding[]>({
          method: "GET",
          path: pathOf(collectionOf.Project, project, "role-bindings"),
          query: Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, String(v)])),
        }),
      get: (project: string, id: string) =>
        t.send<RoleBinding>({
          method: "GET",
          path: pathOf(collectionOf.Project, project, "role-bindings", id),
        }),
      create: (project: string, body: RoleBindingCreate) =>
        t.send<RoleBinding>({
          method: "POST",
          path: pathOf(collectionOf.Project, project, "role-bindings"),
          body,
          idempotencyKey: key(),
        }),
      delete: (project: string, id: string) =>
        t.send<void>({ method: "DELETE", path: pathOf(collectionOf.Project, project, "role-bindings", id) }),
    },
    changeRequests: {
      list: (filter: { status?: ChangeRequest["status"]; project?: string; environment?: string } = {}) =>
        t.send<ChangeRequest[]>({ method: "GET", path: pathOf("change-requests"), query: filter }),
      get: (id: string) => t.send<ChangeRequest>({ method: "GET", path: pathOf("change-requests", id) }),
      approve: (id: string, comment?: string) =>
        t.send<ChangeRequest>({
          method: "POST",
          path: pathOf("change-requests", id, "approve"),
          body: comment === undefined ? {} : { comment },
        }),
      reject: (id: string, comment?: string) =>
        t.send<ChangeRequest>({
          method: "POST",
          path: pathOf("change-requests", id, "reject"),
          body: comment === undefined ? {} : { comment },
        }),
      cancel: (id: string) =>
        t.send<ChangeRequest>({ method: "DELETE", path: pathOf("change-requests", id) }),
    },
    accessRequests: {
      create: (body: AccessRequestCreate) =>
        t.send<AccessRequest>({ method: "POST", path: pathOf("access-requests"), body }),
      list: (filter: { status?: AccessRequest["status"]; project?: string; environment?: string } = {}) =>
        t.send<AccessRequest[]>({ method: "GET", path: pathOf("access-requests"), query: filter }),
      get: (id: string) => t.send<AccessRequest>({ method: "GET", path: pathOf("access-requests", id) }),
      approve: (id: string, comment?: string) =>
        t.send<AccessRequest>({
          method: "POST",
          path: pathOf("access-requests", id, "approve"),
          body: comment === undefined ? {} : { comment },
        }),
      reject: (id: string, comment?: string) =>
        t.send<AccessRequest>({
          method: "POST",
          path: pathOf("access-requests", id, "reject"),
          body: comment === undefined ? {} : { comment },
        }),
      cancel: (id: string) =>
        t.send<AccessRequest>({ method: "DELETE", path: pathOf("access-requests", id) }),
    },
    reservations: {
      list: (project: string, environment: string) =>
        t.send<Reservation[]>({ method: "GET", path: envPath(project, environment, "reservations") }),
      create: (project: string, environment: string, body: ReservationCreate) =>
        t.send<Reservation>({
          method: "POST",
          path: envPath(project, environment, "reservations"),
          body,
          idempotencyKey: key(),
        }),
      delete: (project: string, environment: string, id: string) =>
        t.send<void>({ method: "DELETE", path: envPath(project, environment, "reservations", id) }),
    },
    effective: {
      get: (project: string, environment: string) =>
        t.send<EffectiveConfig>({ method: "GET", path: envPath(project, environment, "effective") }),
    },
    tokens: {
      list: () => t.send<Token[]>({ method: "GET", path: pathOf(collectionOf.ApiToken) }),
      get: (id: string) => t.send<Token>({ method: "GET", path: pathOf(collectionOf.ApiToken, id) }),
      /** `keep`: for a Pulumi resource's issue, the token it replaces, kept live while the other
       * tokens of that resource are revoked. */
      create: (body: TokenCreate, options: { keep?: string } = {}) =>
        t.send<IssuedToken>({
          method: "POST",
          path: pathOf(collectionOf.ApiToken),
          body,
          ...(options.keep !== undefined ? { query: { keep: options.keep } } : {}),
        }),
      revoke: (id: string) => t.send<void>({ method: "DELETE", path: pathOf(collectionOf.ApiToken, id) }),
    },
    teams: {
      list: () => t.send<Team[]>({ method: "GET", path: pathOf(collectionOf.Team) }),
      get: (name: string) => t.send<Team>({ method: "GET", path: pathOf(collectionOf.Team, name) }),
      create: (body: TeamCreate) =>
        t.send<Team>({ method: "POST", path: pathOf(collectionOf.Team), body, idempotencyKey: key() }),
      update: (name: string, body: TeamPatch, version: number) =>
        t.send<Team>({ method: "PATCH", path: pathOf(collectionOf.Team, name), body, ifMatch: version }),
      delete: (name: string, version: number) =>
        t.send<void>({ method: "DELETE", path: pathOf(collectionOf.Team, name), ifMatch: version }),
      members: {
        list: (team: string) =>
          t.send<TeamMember[]>({ method: "GET", path: pathOf(collectionOf.Team, team, "members") }),
        get: (team: string, subject: string) =>
          t.send<TeamMember>({ method: "GET", path: pathOf(collectionOf.Team, team, "members", subject) }),
        add: (team: string, subject: string) =>
          t.send<TeamMember>({ method: "PUT", path: pathOf(collectionOf.Team, team, "members", subject) }),
        remove: (team: string, subject: string) =>
          t.send<void>({ method: "DELETE", path: pathOf(collectionOf.Team, team, "members", subject) }),
      },
    },
    audit: {
      list: (query: Record<string, string> = {}) =>
        t.send<AuditEntry[]>({ method: "GET", path: pathOf("audit"), query }),
    },
    changes: {
      /** The changes after `after` the token may read, oldest first; with `wait` (seconds, at most
       * 60) the answer is held until there is one. */
      list: ({ after = 0, wait }: { after?: number; wait?: number } = {}) =>
        t.send<ChangePage>({
          method: "GET",
          path: pathOf("changes"),
          query: { after: String(after), ...(wait !== undefined ? { wait: String(wait) } : {}) },
          ...(wait !== undefined ? { timeoutMs: (wait + 30) * 1000 } : {}),
        }),
    },
  };
}

/** A typed client of the control plane API. */
export type TenancyClient = ReturnType<typeof endpoints> & {
  transport: Transport;
  close(): Promise<void>;
  /** The same client, its writes sent as `ownership` says (owner, claim, adoption, dry run). */
  as(ownership: WriteOwnership): TenancyClient;
};

/** A typed client of the control plane API over `t`. */
export function createApiClient(t: Transport): TenancyClient {
  return {
    ...endpoints(t),
    transport: t,
    close: () => t.close(),
    as: (ownership) =>
      createApiClient({ send: (request) => t.send({ ...request, ownership }), close: () => t.close() }),
  };
}
