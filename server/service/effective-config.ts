import { environmentId, namespaceOf, type Quota, type QuotaUsage } from "../../model";
import { authorize } from "./access";
import type { Actor, ServiceDeps } from "./context";
import { defaultsRowsFor, mergeDefaults, usageOf, type EffectiveDefaults } from "./effective";
import { loadEnvironment } from "./environments";
import { findQuota, toQuota } from "./quotas";
import { transaction } from "./support";

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
      return transaction(db, { kind: "Environment", id: environmentId(project, environment) }, async (tx) => {
        await authorize(tx, actor, "read", project, environment);
        const env = await loadEnvironment(tx, project, environment);
        const quota = await findQuota(tx, project, environment);
        const secrets = await tx
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
          defaults: mergeDefaults(await defaultsRowsFor(tx, project, environment, env.domain)),
          ...(quota ? { quota: { ...toQuota(quota), usage: await usageOf(tx, project, environment) } } : {}),
          secrets: secrets.map((s) => ({
            name: s.name,
            kind: s.kind as "value" | "reference",
            valueVersion: s.value_version,
          })),
        };
      });
    },
  };
}
