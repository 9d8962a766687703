// Where each environment runs, and what tenancy sync last reported of it there. An environment is
// placed on its own clusters when it names them (`[]`: nowhere), else on its domain's. Reports are
// state, not changes of what is declared: they are neither audited nor in the change feed.
import {
  TenancyError,
  clusterStatusBatchSchema,
  clusterStatusReportSchema,
  type ClusterStatusBatchResult,
  type ClusterStatusReport,
  syncHeartbeatSchema,
  environmentId,
  parseOrThrow,
  type EnvironmentCluster,
  type QuotaUsage,
} from "../../model";
import { authorize, placedOn, requireClusterSync } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps } from "./context";
import { loadDomain } from "./domains";
import { loadEnvironment } from "./environment-rows";
import { notFound } from "./errors";
import { iso, json, optional } from "./rows";

function partition<T>(items: T[], keep: (item: T) => boolean): [T[], T[]] {
  return [items.filter(keep), items.filter((item) => !keep(item))];
}

/** Stores reports, one statement whatever their number. */
async function record(
  q: Queryable,
  cluster: string,
  reports: (ClusterStatusReport & { project: string; environment: string })[],
  now: Date,
) {
  if (reports.length === 0) return;
  await q
    .insertInto("cluster_status")
    .values(
      reports.map((r) => ({
        cluster,
        project: r.project,
        environment: r.environment,
        phase: r.phase,
        synced_version: r.syncedVersion,
        synced_at: r.syncedAt,
        message: r.message ?? null,
        usage: json(r.usage),
        reported_at: now,
      })),
    )
    .onConflict((oc) =>
      oc.columns(["cluster", "project", "environment"]).doUpdateSet((eb) => ({
        phase: eb.ref("excluded.phase"),
        synced_version: eb.ref("excluded.synced_version"),
        synced_at: eb.ref("excluded.synced_at"),
        message: eb.ref("excluded.message"),
        usage: eb.ref("excluded.usage"),
        reported_at: eb.ref("excluded.reported_at"),
      })),
    )
    .execute();
}

/** The clusters an environment is placed on, and what placed it there. */
async function placementOf(q: Queryable, project: string, environment: string) {
  const env = await loadEnvironment(q, project, environment);
  if (env.clusters !== null) return { clusters: env.clusters, placedBy: "environment" as const };
  const domain = await loadDomain(q, env.domain);
  return { clusters: domain.clusters ?? [], placedBy: "domain" as const };
}

export function clusterStatusService({ db, clock = systemClock }: ServiceDeps) {
  return {
    /** The environment's clusters, each with the last report from it. */
    async list(actor: Actor, project: string, environment: string): Promise<EnvironmentCluster[]> {
      await authorize(db, actor, "read", project, environment);
      const { clusters, placedBy } = await placementOf(db, project, environment);
      const reports = await db
        .selectFrom("cluster_status")
        .selectAll()
        .where("project", "=", project)
        .where("environment", "=", environment)
        .execute();
      return clusters.map((cluster) => {
        const report = reports.find((r) => r.cluster === cluster);
        return {
          cluster,
          placedBy,
          ...(report
            ? {
                status: {
                  phase: report.phase,
                  syncedVersion: report.synced_version,
                  syncedAt: iso(report.synced_at),
                  ...(optional(report.message) !== undefined ? { message: report.message! } : {}),
                  ...(report.usage ? { usage: report.usage as QuotaUsage } : {}),
                  reportedAt: iso(report.reported_at),
                },
              }
            : {}),
        };
      });
    },

    /** Records what sync found of an environment on a cluster it is placed on. */
    async report(actor: Actor, cluster: string, project: string, environment: string, body: unknown) {
      requireClusterSync(actor, cluster, "report sync status");
      const report = parseOrThrow(clusterStatusReportSchema, body, "status");
      const known = await db
        .selectFrom("clusters")
        .select("name")
        .where("name", "=", cluster)
        .executeTakeFirst();
      if (!known) throw notFound("Cluster", cluster);
      const { clusters } = await placementOf(db, project, environment);
      if (!clusters.includes(cluster) && actor.cluster !== undefined) {
        throw notFound("Environment", environmentId(project, environment));
      }
      if (!clusters.includes(cluster)) {
        throw new TenancyError(
          "conflict",
          `environment ${environmentId(project, environment)} is not placed on cluster ${cluster}`,
          { target: { kind: "Environment", id: environmentId(project, environment) } },
        );
      }
      await record(db, cluster, [{ project, environment, ...report }], clock.now());
    },

    /** A pass's reports and releases in one request and one transaction. An environment that is no
     * longer placed on the cluster (moved or deleted since the pass read it) is skipped and said. */
    async reportMany(actor: Actor, cluster: string, body: unknown): Promise<ClusterStatusBatchResult> {
      requireClusterSync(actor, cluster, "report sync status");
      const batch = parseOrThrow(clusterStatusBatchSchema, body, "status");
      return db.transaction().execute(async (tx) => {
        const known = await tx
          .selectFrom("clusters")
          .select("name")
          .where("name", "=", cluster)
          .executeTakeFirst();
        if (!known) throw notFound("Cluster", cluster);
        const projects = [...new Set(batch.environments.map((r) => r.project))];
        const placed =
          projects.length === 0
            ? new Set<string>()
            : new Set(
                (await placedOn(tx, cluster).where("e.project", "in", projects).execute()).map((row) =>
                  environmentId(row.project, row.environment),
                ),
              );
        const [kept, skipped] = partition(batch.environments, (r) =>
          placed.has(environmentId(r.project, r.environment)),
        );
        await record(tx, cluster, kept, clock.now());
        for (const gone of batch.released) {
          await tx
            .deleteFrom("cluster_status")
            .where("cluster", "=", cluster)
            .where("project", "=", gone.project)
            .where("environment", "=", gone.environment)
            .execute();
        }
        return {
          recorded: kept.length,
          skipped: skipped.map(({ project, environment }) => ({
            project,
            environment,
            detail: `environment ${environmentId(project, environment)} is not placed on cluster ${cluster}`,
          })),
        };
      });
    },

    /** Drops the report of an environment sync no longer keeps anything for on the cluster. */
    async forget(actor: Actor, cluster: string, project: string, environment: string) {
      requireClusterSync(actor, cluster, "clear sync status");
      await db
        .deleteFrom("cluster_status")
        .where("cluster", "=", cluster)
        .where("project", "=", project)
        .where("environment", "=", environment)
        .execute();
    },

    /** Records that the cluster's sync is alive, and which of its processes leads. */
    async heartbeat(actor: Actor, cluster: string, body: unknown) {
      requireClusterSync(actor, cluster, "report sync liveness");
      const { leader } = parseOrThrow(syncHeartbeatSchema, body, "heartbeat");
      const updated = await db
        .updateTable("clusters")
        .set({ last_seen_at: clock.now(), leader })
        .where("name", "=", cluster)
        .executeTakeFirst();
      if (updated.numUpdatedRows === 0n) throw notFound("Cluster", cluster);
    },
  };
}
