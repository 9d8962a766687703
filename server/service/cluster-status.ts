// Where each environment runs, and what tenancy sync last reported of it there. An environment is
// placed on its own clusters when it names them (`[]`: nowhere), else on its domain's. Reports are
// state, not changes of what is declared: they are neither audited nor in the change feed.
import {
  TenancyError,
  clusterStatusReportSchema,
  syncHeartbeatSchema,
  environmentId,
  parseOrThrow,
  type EnvironmentCluster,
  type QuotaUsage,
} from "../../model";
import { authorize, requireClusterSync } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps } from "./context";
import { loadDomain } from "./domains";
import { loadEnvironment } from "./environment-rows";
import { notFound } from "./errors";
import { iso, json, optional } from "./rows";

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
      const values = {
        phase: report.phase,
        synced_version: report.syncedVersion,
        synced_at: report.syncedAt,
        message: report.message ?? null,
        usage: json(report.usage),
        reported_at: clock.now(),
      };
      await db
        .insertInto("cluster_status")
        .values({ cluster, project, environment, ...values })
        .onConflict((oc) => oc.columns(["cluster", "project", "environment"]).doUpdateSet(values))
        .execute();
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
