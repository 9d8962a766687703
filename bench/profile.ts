// `npm run bench:profile`: where a request's time goes on each hot path. For each load of
// bench/api-load.ts, a fresh `tenancy serve` runs under node's CPU profiler while autocannon sends
// that load at 64 connections for 5 s; the profile is summed by self time, per component (the pg
// driver, Kysely, Fastify, tenancy's own code, Node's sockets, idle) and per function, into
// bench/PROFILE.md. It also measures without the profiler what each load's requests cost in CPU on
// the whole machine at 16 and 64 connections, for tenancy, pgbench and (for the reads) the stack
// floor: whether each is bound by the cores or by waiting. BENCH_PROFILE_LOADS picks loads by a
// word of their names ("get,reservation"); "budget" picks that measurement.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import { createDatabase, repoRoot, serve, startPostgresCluster } from "../scripts/harness";
import { loads, seedLoadOrg, type Load } from "./api-load";
import { httpFloor, pgbench } from "./floors";
import {
  childrenTicks,
  componentClassifier,
  cpuTicks,
  selfTimes,
  sumBy,
  type CpuProfile,
  type ProfileNode,
} from "./cpu-profile";

const adminToken = `tny_bench-${randomBytes(16).toString("hex")}`;
const connections = 64;
const serverEnv = {
  TENANCY_BOOTSTRAP_TOKEN: adminToken,
  TENANCY_SECRET_KEY: randomBytes(32).toString("base64"),
};
/** Ticks are 10 ms; µs per request from a count of ticks. */
const microsPerRequest = (ticks: number, requests: number) => (ticks * 10_000) / requests;

/** CPU ticks used by every PostgreSQL process (the cluster runs as the postgres user), including
 * the backends that have ended: the postmaster reaps them, so their time is in its children's. */
function postgresTicks(): number {
  const pids = execFileSync("pgrep", ["-u", "postgres"], { encoding: "utf8" }).trim().split("\n");
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += cpuTicks(Number(pid)) + childrenTicks(Number(pid));
    } catch {
      // ended between the listing and the read
    }
  }
  return sum;
}

const components: [string, RegExp][] = [
  ["pg driver", /node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-[a-z]+)\//],
  ["Kysely (query building, result mapping)", /node_modules\/kysely\//],
  [
    "Fastify (routing, hooks, replies)",
    /node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-[a-z-]+|secure-json-parse|toad-cache)\//,
  ],
  ["logging (pino)", /node_modules\/(pino|sonic-boom|thread-stream)/],
  ["zod", /node_modules\/zod\//],
  ["tenancy: server", /\/server\//],
  ["tenancy: model", /\/model\//],
  ["other packages", /node_modules\//],
  ["Node (sockets, streams, crypto, timers)", /^node:|^$/],
];

const componentOf = componentClassifier(components, "idle (waiting on PostgreSQL and the clients)");

function summarize(profile: CpuProfile, requests: number) {
  const times = selfTimes(profile);
  const total = times.reduce((sum, t) => sum + t.micros, 0);
  const functionOf = (node: ProfileNode) => {
    const where = node.callFrame.url.replace(/^.*node_modules\//, "").replace(`file://${repoRoot}/`, "");
    return `${node.callFrame.functionName || "(anonymous)"} ${where ? `(${where}:${node.callFrame.lineNumber + 1})` : ""}`;
  };
  const share = (micros: number) => `${((micros / total) * 100).toFixed(1)} %`;
  const perRequest = (micros: number) => `${(micros / requests).toFixed(1)}`;
  return [
    "| component | share of the server's time | µs per request |",
    "|---|---|---|",
    ...sumBy(times, componentOf).map(([c, us]) => `| ${c} | ${share(us)} | ${perRequest(us)} |`),
    "",
    "Top functions by self time:",
    "",
    "| function | share |",
    "|---|---|",
    ...sumBy(times, functionOf)
      .filter(([name]) => !name.startsWith("(idle)"))
      .slice(0, 12)
      .map(([f, us]) => `| \`${f.trim()}\` | ${share(us)} |`),
    "",
  ];
}

async function profileLoad(index: number, dir: string) {
  const profileDir = fs.mkdtempSync(path.join(dir, "prof-"));
  const server = await serve(
    ["--database-url", await createDatabase(), "--rate-limit", "100000000"],
    serverEnv,
    ["--cpu-prof", `--cpu-prof-dir=${profileDir}`],
  );
  let requests = 0;
  let split: string[];
  let load: Load;
  try {
    const org = await seedLoadOrg(server.url, adminToken);
    load = loads(org)[index]!;
    await load.reset?.();
    const before = {
      server: cpuTicks(server.child.pid!),
      postgres: postgresTicks(),
      cannon: process.cpuUsage(),
    };
    const result = await autocannon({
      url: org.url,
      connections,
      duration: 5,
      headers: { authorization: `Bearer ${org.runtimeToken}`, "content-type": "application/json" },
      ...load.options,
    });
    requests = result.requests.total;
    const perRequest = (ticks: number) => microsPerRequest(ticks, requests).toFixed(0);
    const cannon = process.cpuUsage(before.cannon);
    split = [
      "CPU per request during the load (user + system, from /proc):",
      "",
      "| tenancy serve | PostgreSQL | autocannon |",
      "|---|---|---|",
      `| ${perRequest(cpuTicks(server.child.pid!) - before.server)} µs | ${perRequest(postgresTicks() - before.postgres)} µs | ${((cannon.user + cannon.system) / requests).toFixed(0)} µs |`,
      "",
    ];
    const failed = result.non2xx + result.errors;
    if (failed > 0) throw new Error(`${load.name}: ${failed} failed requests`);
  } finally {
    await server.stop();
  }
  const file = fs.readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error("the server wrote no CPU profile");
  const profile = JSON.parse(fs.readFileSync(path.join(profileDir, file), "utf8")) as CpuProfile;
  return { name: load.name, requests, lines: [...split, ...summarize(profile, requests)] };
}

interface CpuRun {
  rate: number;
  /** µs of CPU per request: the answering process, PostgreSQL, the load generator. */
  answering?: number;
  postgres: number;
  client: number;
}

/** autocannon sending `options` for 5 s, with the CPU each process used per request. */
async function httpRun(
  options: Partial<autocannon.Options> & { url: string },
  connectionCount: number,
  pid: number,
  token: string,
): Promise<CpuRun> {
  const before = { answering: cpuTicks(pid), postgres: postgresTicks(), client: process.cpuUsage() };
  const result = await autocannon({
    connections: connectionCount,
    duration: 5,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...options,
  });
  const requests = result.requests.total;
  if (result.non2xx + result.errors > 0)
    throw new Error(`${options.url}: ${result.non2xx + result.errors} failed`);
  const client = process.cpuUsage(before.client);
  return {
    rate: requests / 5,
    answering: microsPerRequest(cpuTicks(pid) - before.answering, requests),
    postgres: microsPerRequest(postgresTicks() - before.postgres, requests),
    client: (client.user + client.system) / requests,
  };
}

function pgbenchRun(dbUrl: string, connectionCount: number, sql: string): CpuRun {
  const before = postgresTicks();
  const result = pgbench(dbUrl, connectionCount, sql);
  return {
    rate: result.tps,
    postgres: microsPerRequest(postgresTicks() - before, result.transactions),
    client: microsPerRequest(result.cpuTicks, result.transactions),
  };
}

const reps = 3;
const medianOf = (runs: CpuRun[], pick: (r: CpuRun) => number | undefined) => {
  const xs = runs.map(pick).filter((x): x is number => x !== undefined);
  return xs.length ? [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]! : undefined;
};

/**
 * Each load's CPU budget, without the profiler, at 16 and 64 connections: tenancy serve, the stack
 * floor for the reads (answering with the statement one request needs) and pgbench running the
 * load's statements, in alternating runs (the median of three each). A run whose rate times its CPU
 * per request fills the cores is bound by CPU; one that leaves them idle is bound by waiting (the
 * chain of processes a request passes through, or a lock).
 */
async function cpuBudget(): Promise<string[]> {
  const dbUrl = await createDatabase();
  const server = await serve(["--database-url", dbUrl, "--rate-limit", "100000000"], serverEnv);
  const cores = os.cpus().length;
  const lines = [
    "## The CPU budget",
    "",
    `Without the profiler, ${reps} alternating runs of 5 s each (medians): CPU per request in every process, from /proc. The stack floor is Fastify and node-pg answering with the row of the statement one request needs, one statement per request (bench/http-floor.ts); pgbench runs the load's statements directly. tenancy looks up the requests that arrive together in one statement. "Cores busy" is the rate times the CPU per request: at ${cores} the run is bound by CPU, and its ratio to pgbench is then pgbench's CPU per request over its own; below, the rest of the cores sat idle while requests waited. "Cores' worth" is the rate the ${cores} cores allow at that CPU per request.`,
    "",
    "| load | connections | answered by | rate /s | server µs | PostgreSQL µs | load generator µs | total µs | cores busy | cores' worth /s | rate / pgbench |",
    "|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  try {
    const org = await seedLoadOrg(server.url, adminToken);
    for (const [index, load] of loads(org).entries()) {
      const floor =
        index < 2
          ? await httpFloor({ BENCH_FLOOR_DATABASE_URL: dbUrl, BENCH_FLOOR_SQL: load.sql })
          : undefined;
      try {
        for (const connectionCount of [16, 64]) {
          const runs: Record<string, CpuRun[]> = {
            tenancy: [],
            ...(floor ? { "stack floor": [] } : {}),
            pgbench: [],
          };
          for (let rep = 0; rep < reps; rep++) {
            await load.reset?.();
            runs.tenancy!.push(
              await httpRun(
                { url: org.url, ...load.options },
                connectionCount,
                server.child.pid!,
                org.runtimeToken,
              ),
            );
            if (floor)
              runs["stack floor"]!.push(
                await httpRun({ url: floor.url }, connectionCount, floor.pid, org.runtimeToken),
              );
            runs.pgbench!.push(pgbenchRun(dbUrl, connectionCount, load.sql));
          }
          const pgbenchRate = medianOf(runs.pgbench!, (r) => r.rate)!;
          for (const [by, measured] of Object.entries(runs)) {
            const rate = medianOf(measured, (r) => r.rate)!;
            const answering = medianOf(measured, (r) => r.answering);
            const postgres = medianOf(measured, (r) => r.postgres)!;
            const client = medianOf(measured, (r) => r.client)!;
            const total = (answering ?? 0) + postgres + client;
            lines.push(
              `| ${load.name} | ${connectionCount} | ${by} | ${rate.toFixed(0)} | ${answering === undefined ? "—" : answering.toFixed(0)} | ${postgres.toFixed(0)} | ${client.toFixed(0)} | ${total.toFixed(0)} | ${((rate * total) / 1e6).toFixed(2)} | ${((cores * 1e6) / total).toFixed(0)} | ${(rate / pgbenchRate).toFixed(2)} |`,
            );
          }
        }
      } finally {
        floor?.stop();
      }
      process.stderr.write(`profile: budget of ${load.name} measured\n`);
    }
  } finally {
    await server.stop();
  }
  return [...lines, ""];
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-profile-"));
  fs.chmodSync(work, 0o755);
  const cluster = await startPostgresCluster(path.join(work, "pgdata"));
  process.env.TENANCY_TEST_PG_URL = cluster.url;
  const words = process.env.BENCH_PROFILE_LOADS?.split(",");
  const names = loads({ url: "", adminToken: "", runtimeToken: "" }).map((l) => l.name);
  const lines = [
    "# Where the API's time goes",
    "",
    `Recorded ${new Date().toISOString()} by \`npm run bench:profile\`${words ? ` (BENCH_PROFILE_LOADS=${words.join(",")})` : ""}: each load profiled at ${connections} connections for 5 s with node's CPU profiler on \`tenancy serve\`, which shares the machine (${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}) with autocannon and PostgreSQL, and the CPU budget measured without it. Requests use a plain token with a role binding, so each one runs the role check a runtime's does.`,
    "",
  ];
  try {
    for (const [index, name] of names.entries()) {
      if (words && !words.some((w) => name.includes(w))) continue;
      const result = await profileLoad(index, work);
      process.stderr.write(`profile: ${result.name}: ${result.requests} requests\n`);
      lines.push(`## ${result.name}`, "", `${result.requests} requests in 5 s.`, "", ...result.lines);
    }
    if (!words || words.includes("budget")) lines.push(...(await cpuBudget()));
  } finally {
    cluster.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  const file = words ? `bench/PROFILE-${words.join("-")}.md` : "bench/PROFILE.md";
  fs.writeFileSync(path.join(repoRoot, file), lines.join("\n") + "\n");
  process.stdout.write(lines.join("\n") + "\n");
}

main().catch((err) => {
  process.stderr.write(`profile: ${err.stack ?? err}\n`);
  process.exit(1);
});
