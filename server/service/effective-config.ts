// The effective configuration of an environment: what a runtime asks before it schedules work.
import { sql } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import { namespaceOf, type EffectiveConfig } from "../../model";
import { authorize } from "./access";
import { compiledOnce } from "./compiled-once";
import { prefetchedRow, type Actor, type Operand, type Queryable, type ServiceDeps } from "./context";
import { defaultsReaching, mergeDefaults, weakestFirst } from "./defaults-merge";
import { loadEnvironment } from "./environment-rows";
import { quotaRow, toQuota } from "./quotas";
import { ceilingColumnsAsJson, withUseOf } from "./ceilings";
import { toUsage, usageTotals } from "./usage";

/** Everything the effective configuration is made of, in one statement: a runtime asks this before
 * it schedules each workload. */
export const effectiveQuery = (q: Queryable, project: Operand, environment: Operand) =>
  q
    .selectFrom("environments as e")
    .select((eb) => [
      "e.domain",
      jsonObjectFrom(quotaRow(q, project, environment)).as("quota"),
      ...usageTotals("e"),
      jsonArrayFrom(defaultsReaching(q, project, environment, eb.ref("e.domain"))).as("defaults"),
      // The project's ceiling first, then the domain's; their use is read only when one exists.
      jsonArrayFrom(
        eb
          .selectFrom("ceilings")
          .select(ceilingColumnsAsJson)
          .where((c) =>
            c.or([c("ceilings.project", "=", project), c("ceilings.domain", "=", c.ref("e.domain"))]),
          )
          .orderBy(sql`ceilings.project is null`),
      ).as("ceilings"),
      jsonArrayFrom(
        eb
          .selectFrom("secrets")
          .select(["secrets.name", "secrets.kind", "secrets.value_version"])
          .where("secrets.project", "=", project)
          .where("secrets.environment", "=", environment)
          .orderBy("secrets.name"),
      ).as("secrets"),
    ])
    .where("e.project", "=", project)
    .where("e.name", "=", environment);
const effectiveRow = compiledOnce(effectiveQuery);
type EffectiveRow = Awaited<ReturnType<typeof effectiveRow>>[number];

export function effectiveService({ db }: ServiceDeps) {
  return {
    async get(actor: Actor, project: string, environment: string): Promise<EffectiveConfig> {
      await authorize(db, actor, "read", project, environment);
      const row =
        prefetchedRow<EffectiveRow>(actor, "effective", project, environment) ??
        (await effectiveRow(db, project, environment))[0];
      if (!row) {
        await loadEnvironment(db, project, environment); // throws not_found naming what is missing
        throw new Error(`environment ${project}/${environment} vanished while being read`);
      }
      const ceilings = await withUseOf(db, row.ceilings);
      return {
        project,
        environment,
        domain: row.domain,
        namespace: namespaceOf(project, environment),
        defaults: mergeDefaults(weakestFirst(row.defaults)),
        ...(row.quota ? { quota: { ...toQuota(row.quota), usage: toUsage(row) } } : {}),
        ceilings,
        secrets: row.secrets.map((s) => ({
          name: s.name,
          kind: s.kind as "value" | "reference",
          valueVersion: s.value_version,
        })),
      };
    },
  };
}
