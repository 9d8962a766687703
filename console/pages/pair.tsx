// A project-domain pair's dashboard: quota use against the limit and every ceiling above it,
// executions over 24 hours, effective defaults with their source, secret bindings (never a value),
// who has access, who manages it, its pending requests and its latest audit entries.
import type { AccessEntry, CeilingWithUse, EffectiveConfig, PairDashboard } from "../../model";
import { quotaDimensionRegistry, type QuotaDimension, type QuotaDimensionInfo } from "../../model/dimensions";
import { parseQuantity } from "../../model/quantity";
import { apiPath, get, pagePath } from "../api";
import { usePolled } from "../poll";
import { ExecutionsChart } from "../chart";
import { Badge, Empty, Freshness, Manager, Meter, Section, When } from "../parts";
import { formatPercent } from "./matrix";
import { AuditTable } from "./audit";
import { PendingRequests } from "./requests";

interface Dashboard {
  effective: EffectiveConfig;
  pair: PairDashboard;
}

type Limits = Pick<CeilingWithUse, QuotaDimension>;

/** A limit as text, by the dimension's field in a quota or a ceiling. */
function limitOf(limits: Limits, dimension: QuotaDimensionInfo): string | undefined {
  return limits[dimension.field]?.toString();
}

/** Use as a share of a limit, from the exact quantities. */
function percentOf(used: string, limit: string): number {
  const whole = parseQuantity(limit);
  return whole === 0n ? 0 : Number((parseQuantity(used) * 10000n) / whole) / 100;
}

function Use({ used, limit }: { used: string; limit: string | undefined }) {
  if (limit === undefined) return <span class="use">{used} / no limit</span>;
  const percent = percentOf(used, limit);
  return <Meter percent={percent} label={`${used} / ${limit} (${formatPercent(percent)})`} />;
}

function usedOf(usage: EffectiveConfig["ceilings"][number]["usage"], dimension: QuotaDimensionInfo): string {
  return String(usage[dimension.usage]);
}

function QuotaTable({ effective }: { effective: EffectiveConfig }) {
  const quota = effective.quota;
  const ceilings: CeilingWithUse[] = effective.ceilings;
  if (!quota && ceilings.length === 0)
    return <Empty>No quota and no ceiling: nothing limits this environment.</Empty>;
  return (
    <table class="quota">
      <thead>
        <tr>
          <th scope="col">Dimension</th>
          <th scope="col">This environment</th>
          {ceilings.map((c) => (
            <th scope="col" key={c.scope}>
              Ceiling of {c.project ? `project ${c.project}` : `domain ${c.domain}`}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {quotaDimensionRegistry.map((dimension) => (
          <tr key={dimension.usage} data-dimension={dimension.usage}>
            <th scope="row">{dimension.label}</th>
            <td>
              {quota ? (
                <Use used={usedOf(quota.usage, dimension)} limit={limitOf(quota, dimension)} />
              ) : (
                <span class="muted">no quota</span>
              )}
            </td>
            {ceilings.map((c) => (
              <td key={c.scope}>
                <Use used={usedOf(c.usage, dimension)} limit={limitOf(c, dimension)} />
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Where the pair runs, with what sync last reported from each cluster: phase, when, and the
 * cluster's own count of what is in use. */
function ClustersTable({ clusters }: { clusters: PairDashboard["clusters"] }) {
  if (clusters.length === 0) return <Empty>Not placed on any cluster.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Cluster</th>
          <th scope="col">Placed by</th>
          <th scope="col">Sync</th>
          <th scope="col">Last sync</th>
          <th scope="col">In use there</th>
        </tr>
      </thead>
      <tbody>
        {clusters.map(({ cluster, placedBy, status }) => (
          <tr key={cluster} data-cluster={cluster}>
            <th scope="row">{cluster}</th>
            <td>{placedBy === "domain" ? "its domain" : "itself"}</td>
            <td>
              {status ? (
                <Badge tone={status.phase === "synced" ? "plain" : "protected"}>{status.phase}</Badge>
              ) : (
                <span class="muted">not reported yet</span>
              )}
              {status?.message !== undefined && <div class="muted">{status.message}</div>}
            </td>
            <td>{status ? <When at={status.syncedAt} /> : ""}</td>
            <td>
              {status?.usage
                ? quotaDimensionRegistry.map((d) => `${String(status.usage![d.usage])} ${d.usage}`).join(", ")
                : ""}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DefaultsTable({ defaults }: { defaults: EffectiveConfig["defaults"] }) {
  const rows = (["requests", "limits"] as const).flatMap((group) =>
    Object.entries(defaults[group]).map(([field, value]) => ({ field: `${group}.${field}`, ...value! })),
  );
  if (rows.length === 0) return <Empty>No defaults reach this environment.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Value</th>
          <th scope="col">Set by</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.field}>
            <td>
              <code>{r.field}</code>
            </td>
            <td>{r.value}</td>
            <td>
              <code>{r.source}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AccessTable({ access }: { access: AccessEntry[] }) {
  if (access.length === 0) return <Empty>No role binding this token may read.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th scope="col">Subject</th>
          <th scope="col">Role</th>
          <th scope="col">Scope</th>
          <th scope="col">Members</th>
        </tr>
      </thead>
      <tbody>
        {access.map((a) => (
          <tr key={a.id}>
            <td>
              <code>{a.subject}</code>
              {a.directory && <Badge tone="plain">directory</Badge>}
            </td>
            <td>{a.role}</td>
            <td>{a.environment ? `environment ${a.environment}` : "whole project"}</td>
            <td>
              {a.members === undefined
                ? ""
                : a.members.length === 0
                  ? "no members listed"
                  : a.members.join(", ")}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function PairPage({ project, environment }: { project: string; environment: string }) {
  const state = usePolled<Dashboard>(async () => {
    const [effective, pair] = await Promise.all([
      get<EffectiveConfig>(apiPath("projects", project, "environments", environment, "effective")),
      get<PairDashboard>(apiPath("console", "projects", project, "environments", environment)),
    ]);
    return { effective, pair };
  }, `${project}/${environment}`);
  const data = state.data;
  const env = data?.pair.environment;
  return (
    <main>
      <p class="crumbs">
        <a href="/ui/">Matrix</a> / <a href={pagePath("projects", project)}>{project}</a> / {environment}
      </p>
      <h1>
        {project} / {environment} {env?.protected && <Badge tone="protected">protected</Badge>}
      </h1>
      <Freshness state={state} />
      {data && env && (
        <>
          <dl class="facts">
            <dt>Domain</dt>
            <dd>{env.domain}</dd>
            <dt>Namespace</dt>
            <dd>
              <code>{data.effective.namespace}</code>
            </dd>
            {env.description !== undefined && (
              <>
                <dt>Description</dt>
                <dd>{env.description}</dd>
              </>
            )}
            <dt>Approval</dt>
            <dd>
              {env.approval
                ? `${env.approval.required ?? 1} of ${env.approval.approvers.join(", ")} approve each change`
                : "none: changes apply at once"}
            </dd>
            <dt>Managed by</dt>
            <dd>
              <Manager managedBy={env.managedBy} />
            </dd>
          </dl>
          <Section title="Pending requests">
            <PendingRequests project={project} environment={environment} onDecided={state.reload} />
          </Section>
          <Section title="Clusters">
            <ClustersTable clusters={data.pair.clusters} />
          </Section>
          <Section title="Quota use">
            <QuotaTable effective={data.effective} />
          </Section>
          <Section title="Executions">
            <ExecutionsChart samples={data.pair.executions} />
          </Section>
          <Section title="Effective defaults">
            <DefaultsTable defaults={data.effective.defaults} />
          </Section>
          <Section title="Secret bindings">
            {data.pair.secrets.length === 0 ? (
              <Empty>No secret binding.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Value or reference</th>
                    <th scope="col">Version</th>
                    <th scope="col">Last change</th>
                  </tr>
                </thead>
                <tbody>
                  {data.pair.secrets.map((s) => (
                    <tr key={s.name}>
                      <td>
                        <code>{s.name}</code>
                      </td>
                      <td>
                        {s.kind === "reference" ? (
                          <code>{s.reference}</code>
                        ) : (
                          <span class="muted">a value, stored encrypted (never shown)</span>
                        )}
                      </td>
                      <td>{s.valueVersion}</td>
                      <td>
                        <When at={s.updatedAt} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Access">
            <AccessTable access={data.pair.access} />
          </Section>
          <Section title="Latest changes">
            {data.pair.audit.length === 0 ? (
              <Empty>No audit entry yet.</Empty>
            ) : (
              <AuditTable entries={data.pair.audit} />
            )}
          </Section>
        </>
      )}
    </main>
  );
}
