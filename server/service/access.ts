// Who may do what: evaluated from the role bindings at every request, so a binding created or
// deleted takes effect on the next request.
import { sql, type ExpressionBuilder } from "kysely";
import { TenancyError, roles, type Role } from "../../model";
import type { Database } from "../store/schema";
import type { Actor, Queryable } from "./context";
import { notFound } from "./errors";

/** What an operation needs: viewer reads, contributor creates, developer changes and deletes,
 * admin manages role bindings and quotas and moves environments; revealing a secret value needs
 * developer. */
export type Operation = "read" | "create" | "change" | "delete" | "manage-bindings" | "reveal" | "administer";

const needed: Record<Operation, Role> = {
  read: "viewer",
  create: "contributor",
  change: "developer",
  delete: "developer",
  "manage-bindings": "admin",
  reveal: "developer",
  administer: "admin",
};

const rank = (role: Role) => roles.indexOf(role);

/** The environments placed on `cluster`: by their own clusters, or (when they name none) their
 * domain's. */
export function placedOn(q: Queryable, cluster: string) {
  return q
    .selectFrom("environments as e")
    .innerJoin("domains as d", "d.name", "e.domain")
    .select(["e.project", "e.name as environment"])
    .where(
      sql<boolean>`coalesce(e.clusters, d.clusters, '[]'::jsonb) @> jsonb_build_array(${cluster}::text)`,
    );
}

/** A sync token's environments in one project. */
async function placedFor(q: Queryable, cluster: string, project: string) {
  return (await placedOn(q, cluster).where("e.project", "=", project).execute()).map(
    (row) => row.environment,
  );
}

/** A sync token reads and reveals what is placed on its cluster; it sees nothing else and writes
 * nothing (its status has its own check). */
async function authorizeSyncToken(
  q: Queryable,
  cluster: string,
  operation: Operation,
  project: string,
  environment?: string,
) {
  const placed = await placedFor(q, cluster, project);
  if (placed.length === 0) throw notFound("Project", project);
  if (environment !== undefined && !placed.includes(environment)) {
    throw notFound("Environment", `${project}/${environment}`);
  }
  if (operation === "read" || operation === "reveal") return;
  throw new TenancyError(
    "forbidden",
    `a sync token for cluster ${cluster} may only read what is placed there and report its status`,
    {
      target:
        environment === undefined
          ? { kind: "Project", id: project }
          : { kind: "Environment", id: `${project}/${environment}` },
    },
  );
}

/** The subjects a token speaks for by itself: its own and the teams it carries. */
export function principals(actor: Actor): string[] {
  return [actor.subject, ...actor.teams];
}

/**
 * Role bindings that speak for the actor: to its subject, to a team its token carries, or to a team
 * the store lists it in. Membership is read in the same statement as the bindings, at every
 * request, so a member removed from a team loses the team's roles on the next request.
 */
export function bindingCovers(actor: Actor) {
  const at = actor.at ?? new Date();
  return (eb: ExpressionBuilder<Database, "role_bindings">) =>
    eb.and([
      eb.or([eb("role_bindings.expires_at", "is", null), eb("role_bindings.expires_at", ">", at)]),
      eb.or([
        eb("role_bindings.subject", "in", principals(actor)),
        eb(
          "role_bindings.subject",
          "in",
          eb
            .selectFrom("team_members")
            .select(sql<string>`'team:' || team_members.team`.as("team"))
            .where("team_members.subject", "=", actor.subject),
        ),
      ]),
    ]);
}

/** The bindings that speak for the actor in a project, project-wide or on one environment: from
 * the request's authentication when it read them for this project, else asked now. */
async function bindingsIn(
  q: Queryable,
  actor: Actor,
  project: string,
): Promise<{ environment: string | null; role: string }[]> {
  if (actor.rolesIn?.project === project) return actor.rolesIn.bindings;
  return q
    .selectFrom("role_bindings")
    .select(["environment", "role"])
    .where("project", "=", project)
    .where(bindingCovers(actor))
    .execute();
}

/**
 * The strongest role the actor holds on a project (environment undefined: project-wide bindings
 * only) or on one environment (project-wide bindings and that environment's).
 */
export async function roleOn(
  q: Queryable,
  actor: Actor,
  project: string,
  environment?: string,
): Promise<Role | undefined> {
  let best: Role | undefined;
  for (const binding of await bindingsIn(q, actor, project)) {
    if (binding.environment !== null && binding.environment !== environment) continue;
    const role = binding.role as Role;
    if (best === undefined || rank(role) > rank(best)) best = role;
  }
  return best;
}

/** Whether the actor holds any binding in the project, project-wide or on one environment. */
async function holdsAnyRoleIn(q: Queryable, actor: Actor, project: string): Promise<boolean> {
  return (await bindingsIn(q, actor, project)).length > 0;
}

/**
 * Throws unless the actor may perform `operation` on the project or environment: not_found, worded
 * exactly as for a missing object, when it may not even read it (so nobody learns what exists
 * outside their bindings), forbidden when it may read it but needs a stronger role.
 */
export async function authorize(
  q: Queryable,
  actor: Actor,
  operation: Operation,
  project: string,
  environment?: string,
) {
  if (actor.orgAdmin) return;
  if (actor.cluster !== undefined)
    return authorizeSyncToken(q, actor.cluster, operation, project, environment);
  const role = await roleOn(q, actor, project, environment);
  if (role !== undefined && rank(role) >= rank(needed[operation])) return;
  if (role === undefined) {
    const seesProject = await holdsAnyRoleIn(q, actor, project);
    if (!seesProject) throw notFound("Project", project);
    if (environment !== undefined) throw notFound("Environment", `${project}/${environment}`);
  }
  const where = environment === undefined ? `project ${project}` : `environment ${project}/${environment}`;
  throw new TenancyError(
    "forbidden",
    `${actor.subject} may not ${operation} in ${where}: it needs ${needed[operation]} or above there` +
      (role ? ` and holds ${role}` : " and holds no role there"),
    {
      target:
        environment === undefined
          ? { kind: "Project", id: project }
          : { kind: "Environment", id: `${project}/${environment}` },
    },
  );
}

/** Reading a project itself needs a binding anywhere in it (project-wide or on one environment);
 * without one the project is, for this caller, not there. */
export async function authorizeProjectRead(q: Queryable, actor: Actor, project: string) {
  if (actor.orgAdmin) return;
  if (actor.cluster !== undefined) {
    if ((await placedFor(q, actor.cluster, project)).length === 0) throw notFound("Project", project);
    return;
  }
  if (!(await holdsAnyRoleIn(q, actor, project))) throw notFound("Project", project);
}

/** Org-wide objects (domains, tokens, the audit log) are changed by org admins only. */
/** A cluster's own business (its snapshot, its status, its sync's heartbeat): org admins and that
 * cluster's sync tokens. */
export function requireClusterSync(actor: Actor, cluster: string, what: string) {
  if (actor.orgAdmin || actor.cluster === cluster) return;
  throw new TenancyError(
    "forbidden",
    `${actor.subject} may not ${what}: it needs an org admin token or a sync token for cluster ${cluster}`,
    { target: { kind: "Cluster", id: cluster } },
  );
}

export function requireOrgAdmin(actor: Actor, what: string) {
  if (!actor.orgAdmin) {
    throw new TenancyError("forbidden", `${actor.subject} may not ${what}: it needs an org admin token`);
  }
}

/**
 * The environments of a project the actor may see: "all" with a project-wide binding (or as an org
 * admin), else the names of the environments its bindings cover. Fails like a read of the project
 * when it holds no binding there at all.
 */
export async function environmentsVisibleTo(
  q: Queryable,
  actor: Actor,
  project: string,
): Promise<"all" | string[]> {
  if (actor.orgAdmin) return "all";
  if (actor.cluster !== undefined) {
    const placed = await placedFor(q, actor.cluster, project);
    if (placed.length === 0) throw notFound("Project", project);
    return placed;
  }
  const bindings = await bindingsIn(q, actor, project);
  if (bindings.length === 0) await authorize(q, actor, "read", project);
  if (bindings.some((b) => b.environment === null)) return "all";
  return bindings.map((b) => b.environment!);
}

/** Projects and environments the actor holds any binding in; undefined means all (org admin). */
export async function visibleScopes(
  q: Queryable,
  actor: Actor,
): Promise<{ project: string; environment: string | null }[] | undefined> {
  if (actor.orgAdmin) return undefined;
  if (actor.cluster !== undefined) return placedOn(q, actor.cluster).execute();
  return q
    .selectFrom("role_bindings")
    .select(["project", "environment"])
    .where(bindingCovers(actor))
    .execute();
}
