// The API's hot paths as the bench loads them: the organisation they run against, the load for
// autocannon, and the SQL one request needs, so pgbench can run the same statements directly (the
// server looks up the requests that arrive together in one statement; pgbench runs one request's).
// Shared by bench/run.ts (rates against pgbench) and bench/profile.ts (where a request's time goes).
import { createHash } from "node:crypto";
import type autocannon from "autocannon";

/** Environments the quota writers and the spread reservations use, one per connection at most. */
export const writers = 64;

export interface LoadOrg {
  url: string;
  /** Org admin: sets the organisation up. */
  adminToken: string;
  /** What a runtime holds: a plain token with an `admin` binding on every bench project, so every
   * request runs the role check a runtime's does. */
  runtimeToken: string;
}

async function call(org: { url: string; adminToken: string }, method: string, p: string, body?: unknown) {
  const response = await fetch(org.url + p, {
    method,
    headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${p}: ${response.status} ${await response.text()}`);
  return response.status === 204 ? undefined : ((await response.json()) as Record<string, unknown>);
}

/**
 * Project `web` (environment production, large quota: the contended reservations), projects
 * `w0…w63` (quota writers, one environment each) and `s0…s63` (spread reservations), and the
 * runtime token bound to all of them.
 */
export async function seedLoadOrg(url: string, adminToken: string): Promise<LoadOrg> {
  const org = { url, adminToken };
  await call(org, "POST", "/v1/domains", { name: "production", tier: "production" });
  const big = { cpu: "1000000000", maxConcurrentExecutions: 1_000_000 };
  const token = (await call(org, "POST", "/v1/tokens", { name: "runtime", subject: "service:runtime" }))!;
  const project = async (name: string, quota: Record<string, unknown>) => {
    await call(org, "POST", "/v1/projects", { name });
    await call(org, "POST", `/v1/projects/${name}/environments`, { domain: "production" });
    await call(org, "PUT", `/v1/projects/${name}/environments/production/quota`, quota);
    await call(org, "POST", `/v1/projects/${name}/role-bindings`, {
      subject: "service:runtime",
      role: "admin",
    });
  };
  await project("web", big);
  for (let i = 0; i < writers; i++) {
    await project(`w${i}`, { cpu: "1" });
    await project(`s${i}`, big);
  }
  return { url, adminToken, runtimeToken: String(token.token) };
}

/** The statement that authenticates a request and reads the token's bindings in its project, as
 * the server sends it; `project` is an SQL expression for the project's name. With `read`, the
 * route's read goes beside them, as for the reads a runtime sends most. */
const authSql = (org: LoadOrg, project: string, read?: string) =>
  `select t.*, (select coalesce(json_agg(b), '[]') from (select environment, role from role_bindings b where b.project = ${project} and (b.subject = t.subject or b.subject in (select jsonb_array_elements_text(t.teams)) or b.subject in (select 'team:' || m.team from team_members m where m.subject = t.subject))) b) as bindings${read ? `, (select to_json(obj) from (${read}) obj) as read` : ""} from tokens t where t.token_hash = '${createHash("sha256").update(org.runtimeToken).digest("hex")}';`;

export interface Load {
  name: string;
  options: Partial<autocannon.Options>;
  /** pgbench's script: the statements one request sends, in its transaction shape. */
  sql: string;
  /** Reservations: the count admitted is checked against the usage the quota shows. */
  reservations?: boolean;
  /** Run before each run of this load. */
  reset?: () => Promise<void>;
}

/**
 * Quota updates: each connection updates the quota of its own environment, sending the version its
 * previous update returned (If-Match), as a provider does. Versions outlive a run: `reset` starts
 * each run from the versions the server has (requests in flight when a run stops may land
 * unanswered).
 */
function quotaWriters(org: LoadOrg) {
  const versions: number[] = Array.from({ length: writers }, () => 1);
  let idle: number[] = [];
  type WriterContext = { writer?: number };
  return {
    async reset() {
      for (let i = 0; i < writers; i++) {
        const quota = (await call(org, "GET", `/v1/projects/w${i}/environments/production/quota`))!;
        versions[i] = Number(quota.version);
      }
      idle = Array.from({ length: writers }, (_, i) => i);
    },
    options: {
      url: org.url,
      requests: [
        {
          method: "PUT",
          // A request takes a writer no other request in flight holds (autocannon resets a
          // connection's context between requests, so the context cannot pin one).
          setupRequest: (request, context: WriterContext) => {
            const writer = idle.pop()!;
            context.writer = writer;
            return {
              ...request,
              path: `/v1/projects/w${writer}/environments/production/quota`,
              headers: { ...request.headers, "if-match": `"${versions[writer]}"` },
              body: JSON.stringify({ cpu: String(1 + (versions[writer]! % 7)) }),
            };
          },
          onResponse: (status, body, context: WriterContext) => {
            const writer = context.writer!;
            if (status === 200) versions[writer] = (JSON.parse(body) as { version: number }).version;
            idle.push(writer);
          },
        },
      ],
    } satisfies Partial<autocannon.Options>,
  };
}

export function loads(org: LoadOrg): Load[] {
  const quotaUpdates = quotaWriters(org);
  const env = `${org.url}/v1/projects/web/environments/production`;
  let next = 0;
  const spread: Partial<autocannon.Options> = {
    url: org.url,
    requests: [
      {
        method: "POST",
        setupRequest: (request) => ({
          ...request,
          path: `/v1/projects/s${next++ % writers}/environments/production/reservations`,
          body: JSON.stringify({ cpu: "1m" }),
        }),
      },
    ],
  };
  const usage =
    "e.used_cpu_milli::text, e.used_memory_milli::text, e.used_gpu_milli::text, e.used_storage_milli::text, e.used_executions::text";
  // An admission: one statement (tenancy_admit_group, with a group of one: a pgbench client sends
  // one admission at a time) that locks the environment with its project's and domain's rows held,
  // judges the quota and the ceilings, and inserts the reservation and its audit entry and raises
  // the totals (environment and ceilings).
  const reservationSql = (project: string, prelude: string[] = []) =>
    [
      ...prelude,
      authSql(org, ":p"),
      "select tenancy_admit_group(:p, 'production', jsonb_build_array(jsonb_build_object('id', md5(random()::text), 'cpu', 1, 'memory', 0, 'gpu', 0, 'storage', 0, 'executions', 0, 'at', now(), 'actor', 'runtime', 'action', 'reservation.create', 'target_kind', 'Reservation', 'after', jsonb_build_object('cpu', '1m'))));",
    ]
      .join("\n")
      .replaceAll(":p", project);
  return [
    {
      name: "read: get environment",
      options: { url: env },
      sql: authSql(org, "'web'", "select * from environments where project = 'web' and name = 'production'"),
    },
    {
      name: "read: effective configuration",
      options: { url: `${env}/effective` },
      sql: authSql(
        org,
        "'web'",
        "select e.domain, (select to_json(q) from quotas q where q.project = 'web' and q.environment = 'production') as quota, " +
          usage +
          ", (select coalesce(json_agg(d), '[]') from (select domain, project, environment, requests, limits from resource_defaults where domain = e.domain or (project = 'web' and environment is null) or (project = 'web' and environment = 'production')) d) as defaults" +
          ", (select coalesce(json_agg(c order by c.project is null), '[]') from ceilings c where c.project = 'web' or c.domain = e.domain) as ceilings" +
          ", (select coalesce(json_agg(s order by s.name), '[]') from (select name, kind, value_version from secrets where project = 'web' and environment = 'production') s) as secrets" +
          " from environments e where e.project = 'web' and e.name = 'production'",
      ),
    },
    {
      name: "write: update quota (own environment per connection)",
      options: quotaUpdates.options,
      sql: [
        authSql(org, ":p"),
        // One statement (tenancy_put_quota): the environment and the quota locked, the claim, the
        // version and the defaults judged, the row and its audit entry written, the ceilings above
        // locked and judged. The version sent is the current one, as the writers' If-Match is.
        "select tenancy_put_quota(:p, 'production', '2', null, null, null, null, (select version from quotas where project = :p and environment = 'production'), false, null, null, now(), 'runtime', 'Quota', 'x');",
      ]
        .join("\n")
        .replaceAll(":p", "('w' || :client_id)"),
      reset: quotaUpdates.reset,
    },
    {
      name: "write: reservation (one contended environment)",
      options: { url: `${env}/reservations`, method: "POST", body: JSON.stringify({ cpu: "1m" }) },
      sql: reservationSql("'web'"),
      reservations: true,
    },
    {
      name: `write: reservation (spread over ${writers} environments)`,
      options: spread,
      sql: reservationSql("('s' || :n)", [`\\set n random(0, ${writers - 1})`]),
    },
  ];
}
