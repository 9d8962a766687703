// What is placed on a cluster, read at one moment with the change feed's revision: a sync pass
// reads this once, whatever the number of environments, and follows the feed from `revision`.
import { sql } from "kysely";
import { roleSchema, type ClusterSnapshot, type PlacedEnvironment, type QuotaUsage } from "../../model";
import { placedOn, requireClusterSync } from "./access";
import { systemClock, type Actor, type ServiceDeps } from "./context";
import { mergeDefaults, weakestFirst } from "./defaults-merge";
import { notFound } from "./errors";
import { iso } from "./rows";
import { limitsOf } from "./usage";

const key = (project: string, environment: string) => `${project}/${environment}`;

/** The plain values of merged defaults (their sources are the console's business). */
function valuesOf(merged: ReturnType<typeof mergeDefaults>) {
  const values = (amounts: (typeof merged)["requests"]) =>
    Object.fromEntries(Object.entries(amounts).map(([kind, field]) => [kind, field!.value]));
  return { requests: values(merged.requests), limits: values(merged.limits) };
}

export function clusterSnapshotService({ db, clock = systemClock }: ServiceDeps) {
  return {
    async get(actor: Actor, cluster: string): Promise<ClusterSnapshot> {
      requireClusterSync(actor, cluster, "read what is placed on a cluster");
      // One snapshot for every statement, so the revision names exactly what was read.
      return db
        .transaction()
        .setIsolationLevel("repeatable read")
        .execute(async (tx) => {
          const feed = await tx.selectFrom("change_feed").select("revision").executeTakeFirstOrThrow();
          const known = await tx
            .selectFrom("clusters")
            .select("name")
            .where("name", "=", cluster)
            .executeTakeFirst();
          if (!known) throw notFound("Cluster", cluster);
          const placed = () => placedOn(tx, cluster).as("p");
          const environments = await tx
            .selectFrom(placed())
            .innerJoin("environments as e", (j) =>
              j.onRef("e.project", "=", "p.project").onRef("e.name", "=", "p.environment"),
            )
            .innerJoin("projects as pr", "pr.name", "e.project")
            .select(["e.project", "e.name", "e.domain", "pr.archived"])
            .orderBy("e.project")
            .orderBy("e.name")
            .execute();
          const projects = [...new Set(environments.map((e) => e.project))];
          const domains = [...new Set(environments.map((e) => e.domain))];
          const quotas = await tx
            .selectFrom(placed())
            .innerJoin("quotas as q", (j) =>
              j.onRef("q.project", "=", "p.project").onRef("q.environment", "=", "p.environment"),
            )
            .selectAll("q")
            .execute();
          const secrets = await tx
            .selectFrom(placed())
            .innerJoin("secrets as s", (j) =>
              j.onRef("s.project", "=", "p.project").onRef("s.environment", "=", "p.environment"),
            )
            .select(["s.project", "s.environment", "s.name", "s.kind", "s.reference", "s.value_version"])
            .orderBy("s.name")
            .execute();
          const none = sql<boolean>`false`;
          const defaults = await tx
            .selectFrom("resource_defaults as d")
            .select(["d.domain", "d.project", "d.environment", "d.requests", "d.limits"])
            .where((eb) =>
              eb.or([
                domains.length > 0 ? eb("d.domain", "in", domains) : none,
                projects.length > 0 ? eb("d.project", "in", projects) : none,
              ]),
            )
            .execute();
          const bindings =
            projects.length > 0
              ? await tx
                  .selectFrom("role_bindings as b")
                  .select(["b.project", "b.environment", "b.subject", "b.role", "b.expires_at"])
                  .where("b.project", "in", projects)
                  // An expired binding grants nothing: sync makes a pass when the first of these
                  // expires, which removes its subject.
                  .where((eb) =>
                    eb.or([eb("b.expires_at", "is", null), eb("b.expires_at", ">", clock.now())]),
                  )
                  .orderBy("b.subject")
                  .orderBy("b.role")
                  .execute()
              : [];
          const reports = await tx
            .selectFrom("cluster_status")
            .select(["project", "environment", "phase", "message", "usage"])
            .where("cluster", "=", cluster)
            .execute();
          const reportOf = new Map(reports.map((r) => [key(r.project, r.environment), r]));
          const quotaOf = new Map(quotas.map((q) => [key(q.project, q.environment), q]));
          return {
            cluster,
            revision: Number(feed.revision),
            environments: environments.map((e): PlacedEnvironment => {
              const quota = quotaOf.get(key(e.project, e.name));
              const report = reportOf.get(key(e.project, e.name));
              const reaching = defaults.filter(
                (d) =>
                  d.domain === e.domain ||
                  (d.project === e.project && (d.environment === null || d.environment === e.name)),
              );
              return {
                project: e.project,
                environment: e.name,
                domain: e.domain,
                archived: e.archived,
                ...(quota ? { quota: limitsOf(quota) } : {}),
                defaults: valuesOf(mergeDefaults(weakestFirst(reaching))),
                secrets: secrets
                  .filter((s) => s.project === e.project && s.environment === e.name)
                  .map((s) => ({
                    name: s.name,
                    kind: s.kind === "reference" ? ("reference" as const) : ("value" as const),
                    ...(s.reference !== null ? { reference: s.reference } : {}),
                    valueVersion: s.value_version,
                  })),
                roleBindings: bindings
                  .filter(
                    (b) => b.project === e.project && (b.environment === null || b.environment === e.name),
                  )
                  .map((b) => ({
                    subject: b.subject,
                    role: roleSchema.parse(b.role),
                    ...(b.expires_at !== null ? { expiresAt: iso(b.expires_at) } : {}),
                  })),
                ...(report
                  ? {
                      reported: {
                        phase: report.phase,
                        ...(report.message !== null ? { message: report.message } : {}),
                        ...(report.usage !== null ? { usage: report.usage as QuotaUsage } : {}),
                      },
                    }
                  : {}),
              };
            }),
          };
        });
    },
  };
}
