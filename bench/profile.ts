// `npm run bench:profile`: where a request's time goes on each hot path. For each load of
// bench/api-load.ts, a fresh `tenancy serve` runs under node's CPU profiler while autocannon sends
// that load at 64 connections for 5 s; the profile is summed by self time, per component (the pg
// driver, Kysely, Fastify, tenancy's own code, Node's sockets, idle) and per function, into
// bench/PROFILE.md. BENCH_PROFILE_LOADS picks loads by a word of their names ("get,reservation").
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import { createDatabase, repoRoot, serve, startPostgresCluster } from "../scripts/harness";
import { loads, seedLoadOrg, type Load } from "./api-load";
import {
  componentClassifier,
  cpuTicks,
  selfTimes,
  sumBy,
  type CpuProfile,
  type ProfileNode,
} from "./cpu-profile";

const adminToken = `tny_bench-${randomBytes(16).toString("hex")}`;
const connections = 64;

/** CPU ticks used by every PostgreSQL process (the cluster runs as the postgres user). */
function postgresTicks(): number {
  const pids = execFileSync("pgrep", ["-u", "postgres"], { encoding: "utf8" }).trim().split("\n");
  let sum = 0;
  for (const pid of pids) {
    try {
      sum += cpuTicks(Number(pid));
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
    { TENANCY_BOOTSTRAP_TOKEN: adminToken, TENANCY_SECRET_KEY: randomBytes(32).toString("base64") },
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
    const perRequest = (ticks: number) => ((ticks * 10_000) / requests).toFixed(0);
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
    `Recorded ${new Date().toISOString()} by \`npm run bench:profile\`: each load at ${connections} connections for 5 s with node's CPU profiler on \`tenancy serve\`, which shares the machine (${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}) with autocannon and PostgreSQL. Requests use a plain token with a role binding, so each one runs the role check a runtime's does.`,
    "",
  ];
  try {
    for (const [index, name] of names.entries()) {
      if (words && !words.some((w) => name.includes(w))) continue;
      const result = await profileLoad(index, work);
      process.stderr.write(`profile: ${result.name}: ${result.requests} requests\n`);
      lines.push(`## ${result.name}`, "", `${result.requests} requests in 5 s.`, "", ...result.lines);
    }
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
