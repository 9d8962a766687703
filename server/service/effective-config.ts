import { namespaceOf, type Quota, type QuotaUsage } from "../../model";
import { authorize } from "./access";
import type { Actor, ServiceDeps } from "./context";
import { defaultsRowsFor, mergeDefaults, usageOf, type EffectiveDefaults } from "./effective";
import { loadEnvironment } from "./environments";
import { findQuota, toQuota } from "./quotas";

export interface EffectiveConfig {
  project: string;
  environment: string;
  domain: string;
  namespace: string;
  defaults: EffectiveDefaults;
  quota?: Quota & { usage: QuotaUsage };
  /** Names only: values are revealed one by one, to developers. */
  secrets: { name: string; kind: "value" | "reference"; valueVersion: number }[];
}

export function effectiveService({ db }: ServiceDeps) {
  return {
    async get(actor: Actor, project: string, environment: string): Promise<EffectiveConfig> {
      await authorize(db, actor, "read", project, environment);
      const env = await loadEnvironment(db, project, environment);
      const quota = await findQuota(db, project, environment);
      const secrets = await db
        .selectFrom("secrets")
        .select(["name", "kind", "value_version"])
        .where("project", "=", project)
        .where("environment", "=", environment)
        .orderBy("name")
        .execute();
      return {
        project,
        environment,
        domain: env.domain,
        namespace: namespaceOf(project, environment),
        defaults: mergeDefaults(await defaultsRowsFor(db, project, environment, env.domain)),
        ...(quota ? { quota: { ...toQuota(quota), usage: await usageOf(db, project, environment) } } : {}),
        secrets: secrets.map((s) => ({
          name: s.name,
          kind: s.kind as "value" | "reference",
          valueVersion: s.value_version,
        })),
      };
    },
  };
}
