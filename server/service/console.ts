// The web console's aggregates: the matrix, a project's page and a pair's dashboard, each in one
// request, holding exactly what the caller may read (the same role checks as every other read).
import { sql } from "kysely";
import {
  directoryManager,
  formatQuantity,
  parseQuantity,
  quotaDimensionRegistry,
  type CountDimension,
  type ResourceKind,
  type AccessEntry,
  type Domain,
  type EnvironmentCell,
  type FullestDimension,
  type Matrix,
  type PairDashboard,
  type ProjectPage,
  type ProjectRow,
} from "../../model";
import { authorize, authorizeProjectRead, environmentsVisibleTo, visibleScopes } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps } from "./context";
import { auditEntryOf } from "./audit-log";
import { iso, optional } from "./rows";
import { usageTotals } from "./usage";
import { managedByOf } from "./ownership";
import { loadProject } from "./projects";
import { environmentService } from "./environments";
import { secretService } from "./secrets";
import { clusterStatusService } from "./cluster-status";
import { roleBindingService } from "./role-bindings";

/** How far back the pair's executions chart goes, and how often it is sampled. */
const historyHours = 24;
const sampleMinutes = 15;

export function consoleService(deps: ServiceDeps) {
  const { db, clock = systemClock } = deps;
  const environments = environmentService(deps);
  const secrets = secretService(deps);
  const clusterStatus = clusterStatusService(deps);
  const roleBindings = roleBindingService(deps);

  /** The access list of a project (environment undefined) or of one environment and its project. */
  async function accessOf(actor: Actor, project: string, environment?: string): Promise<AccessEntry[]> {
    const bindings = (await roleBindings.list(actor, project)).filter(
      (b) => environment === undefined || b.environment === undefined || b.environment === environment,
    );
    const teams = [
      ...new Set(bindings.filter((b) => b.subject.startsWith("team:")).map((b) => b.subject.slice(5))),
    ];
    const [members, directoryTeams] =
      teams.length === 0
        ? [[], new Set<string>()]
        : await Promise.all([
            db
              .selectFrom("team_members")
              .select(["team", "subject"])
              .where("team", "in", teams)
              .orderBy("subject")
              .execute(),
            db
              .selectFrom("teams")
              .select("name")
              .where("name", "in", teams)
              .where(sql<string>`managed_by->>'stack'`, "=", directoryManager)
              .execute()
              .then((rows) => new Set(rows.map((r) => r.name))),
          ]);
    return bindings.map((b) => ({
      id: b.id,
      ...(b.environment !== undefined ? { environment: b.environment } : {}),
      subject: b.subject,
      role: b.role,
      ...(b.subject.startsWith("team:")
        ? { members: members.filter((m) => `team:${m.team}` === b.subject).map((m) => m.subject) }
        : {}),
      ...(directoryTeams.has(b.subject.slice(5)) ? { directory: true } : {}),
    }));
  }

  return {
    async matrix(actor: Actor): Promise<Matrix> {
      const scopes = await visibleScopes(db, actor);
      const domains = await db
        .selectFrom("domains")
        .select(["name", "tier", "order"])
        .orderBy("order")
        .orderBy("name")
        .execute();
      const projects = await projectRows(db, scopes);
      return {
        domains: domains.map((d) => ({
          name: d.name,
          tier: d.tier as Domain["tier"],
          ...(d.order !== null ? { order: d.order } : {}),
        })),
        projects,
      };
    },

    async project(actor: Actor, name: string): Promise<ProjectPage> {
      await authorizeProjectRead(db, actor, name);
      const visible = await environmentsVisibleTo(db, actor, name);
      const scopes =
        visible === "all"
          ? [{ project: name, environment: null }]
          : visible.map((environment) => ({ project: name, environment }));
      const [row] = await projectRows(db, scopes);
      const project = await loadProject(db, name);
      return {
        ...row!,
        managedBy: managedByOf(project),
        access: await accessOf(actor, name),
      };
    },

    async pair(actor: Actor, project: string, environment: string): Promise<PairDashboard> {
      await authorize(db, actor, "read", project, environment);
      const now = clock.now();
      const [env, clusters, secretList, access, executions, audit] = await Promise.all([
        environments.get(actor, project, environment),
        clusterStatus.list(actor, project, environment),
        secrets.list(actor, project, environment),
        accessOf(actor, project, environment),
        executionsHistory(db, project, environment, now),
        db
          .selectFrom("audit")
          .selectAll()
          .where((eb) =>
            eb.or([
              eb("target_id", "=", `${project}/${environment}`),
              eb("target_id", "like", `${escapeLike(`${project}/${environment}`)}/%`),
              eb.and([
                sql<boolean>`coalesce(after->>'project', before->>'project') = ${project}`,
                sql<boolean>`coalesce(after->>'environment', before->>'environment') = ${environment}`,
              ]),
            ]),
          )
          .orderBy("id", "desc")
          .limit(20)
          .execute(),
      ]);
      return {
        environment: env,
        clusters,
        secrets: secretList,
        access,
        executions,
        audit: audit.map(auditEntryOf),
      };
    },
  };
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The matrix rows of the projects `scopes` reach (undefined: every project), in one statement. */
async function projectRows(
  db: Queryable,
  scopes: { project: string; environment: string | null }[] | undefined,
): Promise<ProjectRow[]> {
  if (scopes !== undefined && scopes.length === 0) return [];
  const wholeProjects = scopes?.filter((s) => s.environment === null).map((s) => s.project) ?? [];
  const someEnvironments = scopes?.filter((s) => s.environment !== null) ?? [];
  let projects = db.selectFrom("projects").selectAll().orderBy("name");
  if (scopes !== undefined)
    projects = projects.where("name", "in", [...new Set(scopes.map((s) => s.project))]);
  let cells = db
    .selectFrom("environments as e")
    .leftJoin("quotas as q", (j) =>
      j.onRef("q.project", "=", "e.project").onRef("q.environment", "=", "e.name"),
    )
    .innerJoin("domains as d", "d.name", "e.domain")
    .select([
      "e.project",
      "e.name",
      "e.domain",
      "e.protected",
      sql<string[]>`coalesce(e.clusters, d.clusters, '[]'::jsonb)`.as("placement"),
      sql<
        { cluster: string; phase: string }[] | null
      >`(select jsonb_agg(jsonb_build_object('cluster', s.cluster, 'phase', s.phase))
        from cluster_status s where s.project = e.project and s.environment = e.name)`.as("reports"),
      ...quotaDimensionRegistry.map((d) =>
        sql<string | number | null>`${sql.ref(`q.${d.column}`)}`.as(`limit_${d.usage}`),
      ),
      ...usageTotals("e"),
    ])
    .orderBy("e.project")
    .orderBy("e.name");
  if (scopes !== undefined) {
    cells = cells.where((eb) =>
      eb.or([
        ...(wholeProjects.length > 0 ? [eb("e.project", "in", wholeProjects)] : []),
        ...someEnvironments.map((s) =>
          eb.and([eb("e.project", "=", s.project), eb("e.name", "=", s.environment!)]),
        ),
      ]),
    );
  }
  const [projectList, cellList] = await Promise.all([projects.execute(), cells.execute()]);
  const byProject = new Map<string, EnvironmentCell[]>();
  for (const c of cellList) {
    const list = byProject.get(c.project) ?? [];
    list.push({
      name: c.name,
      domain: c.domain,
      protected: c.protected,
      fullest: fullestOf(c),
      running: Number(c.executions ?? 0),
      ...syncOf(c.placement, c.reports ?? []),
    });
    byProject.set(c.project, list);
  }
  return projectList.map((p) => ({
    name: p.name,
    ...(optional(p.description) !== undefined ? { description: p.description! } : {}),
    labels: (p.labels as Record<string, string> | null) ?? {},
    archived: p.archived,
    environments: byProject.get(p.name) ?? [],
  }));
}

/** Sync states from best to worst: a cell shows its worst. */
const syncStates = ["synced", "unreported", "conflict", "error"] as const;

/** A cell's sync mark: how many clusters it is placed on, and the worst state reported from them. */
function syncOf(
  placement: string[],
  reports: { cluster: string; phase: string }[],
): Pick<EnvironmentCell, "sync"> {
  if (placement.length === 0) return {};
  const states = placement.map(
    (cluster) => reports.find((r) => r.cluster === cluster)?.phase ?? "unreported",
  );
  const worst = syncStates.reduce((found, state) => (states.includes(state) ? state : found), syncStates[0]);
  return { sync: { clusters: placement.length, state: worst } };
}

/** A cell's limits and totals, by each dimension's name in usage. */
type CellRow = Record<`limit_${ResourceKind | CountDimension}`, string | number | null> &
  Record<ResourceKind | CountDimension, string | null>;

/** The dimension whose use is the largest share of its limit. */
function fullestOf(row: CellRow): FullestDimension | null {
  let fullest: FullestDimension | null = null;
  for (const { usage, quantity } of quotaDimensionRegistry) {
    const limitValue = row[`limit_${usage}`];
    if (limitValue === null) continue;
    const show = quantity ? formatQuantity : String;
    const used = BigInt(row[usage] ?? 0);
    const limit = quantity ? parseQuantity(String(limitValue)) : BigInt(limitValue);
    const percent = limit === 0n ? (used > 0n ? 100 : 0) : Number((used * 10000n) / limit) / 100;
    if (fullest === null || percent > fullest.percent) {
      fullest = { dimension: usage, used: show(used), limit: show(limit), percent };
    }
  }
  return fullest;
}

/** Executions running at each sample of the last 24 hours: live reservations and released ones. */
async function executionsHistory(db: Queryable, project: string, environment: string, now: Date) {
  const since = new Date(now.getTime() - historyHours * 3600_000);
  const rows = await sql<{ at: Date; running: number }>`
    with spans as (
      select created_at as admitted_at, null::timestamptz as released_at, executions
        from reservations where project = ${project} and environment = ${environment}
      union all
      select admitted_at, released_at, executions
        from reservation_history
        where project = ${project} and environment = ${environment} and released_at > ${since}
    )
    select s.at, coalesce(sum(spans.executions), 0)::int as running
      from generate_series(${since}::timestamptz, ${now}::timestamptz, ${`${sampleMinutes} minutes`}::interval) as s(at)
      left join spans on spans.admitted_at <= s.at and (spans.released_at is null or spans.released_at > s.at)
      group by s.at
      order by s.at`.execute(db);
  return rows.rows.map((r) => ({ at: iso(r.at), running: Number(r.running) }));
}
