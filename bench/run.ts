// `npm run bench`: tenancy measured against the floors it cannot beat, in the same run on the same
// machine, written to bench/RESULTS.md.
// - Engine: the same organisation as tenancy resources and as no-op dynamic resources (the engine
//   floor), interleaved, on the embedded store and on HTTP + PostgreSQL: preview of an empty stack,
//   up creating everything, preview with no change, up changing 1% of the quotas, refresh, destroy.
// - Database: API reads and writes at 1, 16 and 64 connections (autocannon) against pgbench running
//   the comparable query on the same PostgreSQL; reservations per second under contention; the
//   reads on the stack's own floor (Fastify and node-pg running the same statement, nothing else).
// - Scale: time per resource as N grows, and the levers (PULUMI_SKIP_CHECKPOINTS, --parallel,
//   PULUMI_PARALLEL_DIFF, several stacks).
// Sizes and repetitions: BENCH_SIZES (default "10"), BENCH_REPS (default 3), BENCH_SCALE_SIZES
// (default "100,300": the size the levers are measured at, and the largest, run with
// PULUMI_SKIP_CHECKPOINTS only), BENCH_DATABASE_REPS (runs of each database cell, default 3).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import {
  TestStack,
  createDatabase,
  repoRoot,
  serve,
  startPostgresCluster,
  type PostgresCluster,
  type ServeProcess,
} from "../scripts/harness";
import { createApiClient } from "../client";
import { createEmbeddedTransport } from "../provider/embedded";
import { loads, seedLoadOrg, type LoadOrg } from "./api-load";
import { httpFloor, pgbench } from "./floors";

const adminToken = `tny_bench-${randomBytes(16).toString("hex")}`;
const secretKey = randomBytes(32).toString("base64");

const sizes = (process.env.BENCH_SIZES ?? "10").split(",").map(Number);
const scaleSizes = (process.env.BENCH_SCALE_SIZES ?? "100,300").split(",").map(Number);
const reps = Number(process.env.BENCH_REPS ?? 3);
const databaseReps = Number(process.env.BENCH_DATABASE_REPS ?? 3);
/** The API's and pgbench's connections in each database cell. */
const connectionCounts = [1, 16, 64];
/** Which parts run: `database,engine,scale,steady` by default. A run of fewer parts writes its figures beside
 * bench/RESULTS.md (RESULTS-engine.md, …), which stays the record of one complete run. */
const allParts = ["database", "engine", "scale", "steady"] as const;
const parts = (process.env.BENCH_PARTS ?? allParts.join(",")).split(",");
for (const part of parts) {
  if (!(allParts as readonly string[]).includes(part)) throw new Error(`BENCH_PARTS: unknown part ${part}`);
}
const steps = [
  "preview (empty)",
  "up (create all)",
  "preview (no change)",
  "up (1% of quotas)",
  "refresh",
  "destroy",
] as const;
type Step = (typeof steps)[number];

/** tenancy's resources; the floor (no-op resources with the same arguments); and the floor with
 * tenancy's properties (the same no-op resources, given every property a tenancy resource has:
 * its outputs and the SDK's internal inputs). */
const modes = ["tenancy", "floor", "floor-outputs"] as const;
type Mode = (typeof modes)[number];

interface Sample {
  seconds: Record<Step, number>;
  requests: Partial<Record<Step, number>>;
  stateBytes: number;
  providerBytesPerResource: number;
  resources: number;
}

/** Every figure with a target, its floor, the ratio and whether it is met: the table RESULTS.md
 * opens with. */
const summary: string[] = [];
function target(
  figure: string,
  measured: string,
  floor: string,
  ratio: number | undefined,
  goal: string,
  met: boolean,
) {
  summary.push(
    `| ${figure} | ${measured} | ${floor} | ${ratio === undefined ? "" : ratio.toFixed(2)} | ${goal} | ${met ? "met" : "**missed**"} |`,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const spread = (xs: number[], digits = 1) =>
  `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

async function timed<T>(body: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const result = await body();
  return [result, Number(process.hrtime.bigint() - start) / 1e9];
}

function requestCount(server: ServeProcess | undefined): number | undefined {
  return server ? server.output().split('"incoming request"').length - 1 : undefined;
}

async function measure(
  mode: Mode,
  transport: "embedded" | "http",
  n: number,
  server?: ServeProcess,
): Promise<Sample> {
  const config: Record<string, string | { secret: string }> = {
    "bench:projects": String(n),
    "bench:mode": mode,
  };
  if (server)
    Object.assign(config, { "tenancy:endpoint": server.url, "tenancy:token": { secret: adminToken } });
  const stack = await TestStack.create({ program: path.join(repoRoot, "bench/program"), config });
  try {
    if (!server)
      await stack.pulumiOk(["config", "set", "tenancy:endpoint", `file://${path.join(stack.root, "store")}`]);
    const seconds = {} as Record<Step, number>;
    const requests: Partial<Record<Step, number>> = {};
    const step = async (name: Step, args: string[]) => {
      const before = requestCount(server);
      // Large organisations take many minutes per step on the file backend.
      const [result, s] = await timed(() => stack.pulumi(args, { timeoutMs: 3 * 3600_000 }));
      if (result.code !== 0)
        throw new Error(`${mode}/${transport}/${n}: ${name} failed:\n${result.output.slice(-4000)}`);
      seconds[name] = s;
      if (before !== undefined) requests[name] = requestCount(server)! - before;
    };
    await step("preview (empty)", ["preview"]);
    await step("up (create all)", ["up", "--yes", "--skip-preview"]);
    const exportedState = await stack.exportState();
    const exported = exportedState.resources;
    const stateBytes = Buffer.byteLength(exportedState.text);
    const dynamic = exported.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/"));
    const providerBytes = dynamic.reduce((sum, r) => sum + String(r.inputs?.__provider ?? "").length, 0);
    await step("preview (no change)", ["preview", "--expect-no-changes"]);
    await stack.pulumiOk(["config", "set", "bench:bump", "4"]);
    await step("up (1% of quotas)", ["up", "--yes", "--skip-preview"]);
    await step("refresh", ["refresh", "--yes", "--skip-preview"]);
    await step("destroy", ["destroy", "--yes", "--skip-preview"]);
    return {
      seconds,
      requests,
      stateBytes,
      providerBytesPerResource: providerBytes / dynamic.length,
      resources: dynamic.length,
    };
  } finally {
    await stack.dispose();
  }
}

async function engineBench(lines: string[]) {
  lines.push("## Engine: tenancy against the engine floor", "");
  lines.push(
    "Seconds per step, median (min–max) of the repetitions; tenancy and the floor run interleaved. The floor is the same graph of no-op dynamic resources.",
    "",
  );
  for (const transport of ["embedded", "http"] as const) {
    for (const n of sizes) {
      const samples: Record<Mode, Sample[]> = { tenancy: [], floor: [], "floor-outputs": [] };
      for (let r = 0; r < reps; r++) {
        for (const mode of modes) {
          let server: ServeProcess | undefined;
          if (transport === "http") {
            server = await serve(["--database-url", await createDatabase(), "--rate-limit", "60000"], {
              TENANCY_BOOTSTRAP_TOKEN: adminToken,
              TENANCY_SECRET_KEY: secretKey,
              TENANCY_LOG_LEVEL: "info",
            });
          }
          try {
            process.stderr.write(`bench: ${transport} N=${n} ${mode} repetition ${r + 1}/${reps}\n`);
            samples[mode].push(await measure(mode, transport, n, mode === "tenancy" ? server : undefined));
          } finally {
            await server?.stop();
          }
        }
      }
      const t = samples.tenancy;
      const f = samples.floor;
      lines.push(
        `### ${transport === "http" ? "HTTP + PostgreSQL" : "Embedded (PGlite)"}, N = ${n} (${t[0]!.resources} resources)`,
        "",
      );
      const w = samples["floor-outputs"];
      lines.push(
        "| step | tenancy s | floor s | ratio | floor with tenancy's properties s | ratio | control-plane requests |",
        "|---|---|---|---|---|---|---|",
      );
      for (const s of steps) {
        const ts = t.map((x) => x.seconds[s]);
        const fs_ = f.map((x) => x.seconds[s]);
        const ws = w.map((x) => x.seconds[s]);
        const req =
          transport === "http" ? String(median(t.map((x) => x.requests[s] ?? 0))) : "n/a (in process)";
        lines.push(
          `| ${s} | ${median(ts).toFixed(1)} (${spread(ts)}) | ${median(fs_).toFixed(1)} (${spread(fs_)}) | ${(median(ts) / median(fs_)).toFixed(2)} | ${median(ws).toFixed(1)} (${spread(ws)}) | ${(median(ts) / median(ws)).toFixed(2)} | ${req} |`,
        );
      }
      const perResource = median(t.map((x) => x.seconds["up (create all)"] / x.resources));
      const stepRatio = (step: Step) =>
        median(t.map((x) => x.seconds[step])) / median(f.map((x) => x.seconds[step]));
      const where = `${transport === "http" ? "HTTP" : "embedded"}, N = ${n}`;
      const noChange = median(t.map((x) => x.seconds["preview (no change)"]));
      const noChangeRequests =
        transport === "http" ? median(t.map((x) => x.requests["preview (no change)"] ?? 0)) : 0;
      const againstProperties = noChange / median(w.map((x) => x.seconds["preview (no change)"]));
      target(
        `preview (no change), ${where}`,
        `${noChange.toFixed(1)} s${transport === "http" ? `, ${noChangeRequests} requests` : ""}; ${againstProperties.toFixed(2)}× the floor with tenancy's properties`,
        `${median(f.map((x) => x.seconds["preview (no change)"])).toFixed(1)} s`,
        stepRatio("preview (no change)"),
        "≤ 1.2×, 0 requests",
        stepRatio("preview (no change)") <= 1.2 && noChangeRequests === 0,
      );
      target(
        `up (create all), ${where}`,
        `${(perResource * 1000).toFixed(0)} ms per resource`,
        `${(median(f.map((x) => x.seconds["up (create all)"] / x.resources)) * 1000).toFixed(0)} ms`,
        stepRatio("up (create all)"),
        "≤ 1.5×, < 100 ms per resource",
        stepRatio("up (create all)") <= 1.5 && perResource < 0.1,
      );
      const stateRatio = median(t.map((x) => x.stateBytes)) / median(f.map((x) => x.stateBytes));
      const providerBytes = median(t.map((x) => x.providerBytesPerResource));
      target(
        `state, ${where}`,
        `${(median(t.map((x) => x.stateBytes)) / 1024).toFixed(0)} KiB; \`__provider\` ${providerBytes.toFixed(0)} B per resource`,
        `${(median(f.map((x) => x.stateBytes)) / 1024).toFixed(0)} KiB`,
        stateRatio,
        "≤ 1.2×; ≤ 1 KB per resource",
        stateRatio <= 1.2 && providerBytes <= 1024,
      );
      lines.push(
        "",
        `- create-all up: ${(perResource * 1000).toFixed(0)} ms per resource (floor ${(median(f.map((x) => x.seconds["up (create all)"] / x.resources)) * 1000).toFixed(0)} ms)`,
        `- state: ${(median(t.map((x) => x.stateBytes)) / 1024).toFixed(0)} KiB (floor ${(median(f.map((x) => x.stateBytes)) / 1024).toFixed(0)} KiB, ratio ${(median(t.map((x) => x.stateBytes)) / median(f.map((x) => x.stateBytes))).toFixed(2)})`,
        `- \`__provider\`: ${median(t.map((x) => x.providerBytesPerResource)).toFixed(0)} bytes per resource (floor ${median(f.map((x) => x.providerBytesPerResource)).toFixed(0)})`,
        "",
      );
    }
  }
}

async function httpServer(): Promise<ServeProcess> {
  return serve(["--database-url", await createDatabase(), "--rate-limit", "600000"], {
    TENANCY_BOOTSTRAP_TOKEN: adminToken,
    TENANCY_SECRET_KEY: secretKey,
  });
}

async function benchStack(n: number, mode: Mode, server?: ServeProcess, extra = {}) {
  const config: Record<string, string | { secret: string }> = {
    "bench:projects": String(n),
    "bench:mode": mode,
    ...extra,
  };
  if (server)
    Object.assign(config, { "tenancy:endpoint": server.url, "tenancy:token": { secret: adminToken } });
  return TestStack.create({ program: path.join(repoRoot, "bench/program"), config });
}

async function timedStep(stack: TestStack, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  const [result, seconds] = await timed(() => stack.pulumi(args, { env, timeoutMs: 3 * 3600_000 }));
  if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${result.output.slice(-4000)}`);
  return seconds;
}

const createAll = ["up", "--yes", "--skip-preview"];
/** Resources of the bench organisation with `n` projects: 3 domains, 22 per project. */
const resourcesOf = (n: number) => 3 + 22 * n;
const skipCheckpoints = { PULUMI_SKIP_CHECKPOINTS: "true" };

/**
 * How the engine's cost grows with the organisation, and what each lever a large organisation has
 * buys: one run each, HTTP + PostgreSQL. The file backend rewrites the whole state after every
 * step, so without levers a create-all `up` costs O(N²) bytes written.
 */
async function scaleBench(lines: string[]) {
  const [large] = scaleSizes;
  const rows: string[] = [];
  const created = new Map<string, number>();
  const record = (run: string, n: number, resources: number, seconds: number) => {
    created.set(`${run} ${n}`, seconds);
    rows.push(
      `| ${run} | ${n} | ${resources} | ${seconds.toFixed(1)} | ${((seconds / resources) * 1000).toFixed(0)} |`,
    );
    process.stderr.write(`bench: scale ${run} N=${n}: ${seconds.toFixed(1)} s\n`);
  };
  const diffRows: string[] = [];

  const single = async (
    run: string,
    n: number,
    options: { mode?: Mode; env?: NodeJS.ProcessEnv; args?: string[]; diffs?: boolean } = {},
  ) => {
    const mode = options.mode ?? "tenancy";
    const server = mode === "tenancy" ? await httpServer() : undefined;
    const stack = await benchStack(n, mode, server);
    try {
      record(
        run,
        n,
        resourcesOf(n),
        await timedStep(stack, [...createAll, ...(options.args ?? [])], options.env),
      );
      if (options.diffs) {
        const noChange = ["preview", "--expect-no-changes"];
        const plain = await timedStep(stack, noChange);
        const parallel = await timedStep(stack, noChange, { PULUMI_PARALLEL_DIFF: "true" });
        diffRows.push(`| preview (no change) | ${n} | ${plain.toFixed(1)} | ${parallel.toFixed(1)} |`);
        await stack.pulumiOk(["config", "set", "bench:bump", "4"]);
        const bumped = await timedStep(stack, createAll);
        await stack.pulumiOk(["config", "set", "bench:bump", "8"]);
        const bumpedParallel = await timedStep(stack, createAll, { PULUMI_PARALLEL_DIFF: "true" });
        diffRows.push(`| up (1% of quotas) | ${n} | ${bumped.toFixed(1)} | ${bumpedParallel.toFixed(1)} |`);
      }
    } finally {
      // The store is thrown away with the server: destroying would cost another O(N²) pass.
      await stack.discard();
      await server?.stop();
    }
  };

  await single("default", 10);
  await single("default", large!, { diffs: true });
  await single("floor", large!, { mode: "floor" });
  await single("PULUMI_SKIP_CHECKPOINTS", large!, { env: skipCheckpoints });
  await single("floor, PULUMI_SKIP_CHECKPOINTS", large!, { mode: "floor", env: skipCheckpoints });
  await single("PULUMI_SKIP_CHECKPOINTS, --parallel 32", large!, {
    env: skipCheckpoints,
    args: ["--parallel", "32"],
  });

  // The same organisation as stacks of 10 projects, two `up`s at a time: the first stack declares
  // the domains, the others refer to them.
  const server = await httpServer();
  const parts = large! / 10;
  const stacks = await Promise.all(
    Array.from({ length: parts }, (_, i) =>
      benchStack(10, "tenancy", server, {
        "bench:firstProject": String(i * 10),
        "bench:declareDomains": String(i === 0),
      }),
    ),
  );
  try {
    const [, seconds] = await timed(async () => {
      await timedStep(stacks[0]!, createAll);
      const rest = stacks.slice(1);
      const lanes = [rest.filter((_, i) => i % 2 === 0), rest.filter((_, i) => i % 2 === 1)];
      await Promise.all(
        lanes.map(async (lane) => {
          for (const stack of lane) await timedStep(stack, createAll);
        }),
      );
    });
    record(
      `${parts} stacks of 10 projects, 2 at a time`,
      large!,
      resourcesOf(large!) - 3 * (parts - 1),
      seconds,
    );
  } finally {
    await Promise.all(stacks.map((s) => s.discard()));
    await server.stop();
  }

  const tenancyDefault = created.get(`default ${large}`)!;
  const floorDefault = created.get(`floor ${large}`)!;
  target(
    `up (create all), HTTP, N = ${large}, default checkpointing`,
    `${((tenancyDefault / resourcesOf(large!)) * 1000).toFixed(0)} ms per resource`,
    `${((floorDefault / resourcesOf(large!)) * 1000).toFixed(0)} ms`,
    tenancyDefault / floorDefault,
    "≤ 1.5×",
    tenancyDefault / floorDefault <= 1.5,
  );
  lines.push("## Engine at scale: time per resource and the levers", "");
  lines.push(
    `One run each, HTTP + PostgreSQL, create-all \`up\` of a new stack (default \`--parallel\` is 4 × cores = ${os.cpus().length * 4} here).`,
    "",
    "| run | N | resources | create-all up s | ms per resource |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    "`PULUMI_PARALLEL_DIFF` on the same stack (seconds):",
    "",
    "| step | N | default | PULUMI_PARALLEL_DIFF=true |",
    "|---|---|---|---|",
    ...diffRows,
    "",
  );
}

/**
 * The largest organisation (BENCH_SCALE_SIZES' second) in its steady state, one run each, HTTP +
 * PostgreSQL: created with PULUMI_SKIP_CHECKPOINTS (a create-all with checkpoints is O(N²) here,
 * hours), then a no-change preview and an `up` changing one quota with default settings.
 */
async function steadyBench(lines: string[]) {
  const largest = scaleSizes[1]!;
  const resources = resourcesOf(largest);
  const rows: string[] = [];
  const record = (run: string, n: number, count: number, seconds: number) => {
    rows.push(
      `| ${run} | ${n} | ${count} | ${seconds.toFixed(1)} | ${((seconds / count) * 1000).toFixed(0)} |`,
    );
    process.stderr.write(`bench: steady ${run} N=${n}: ${seconds.toFixed(1)} s\n`);
  };
  // tenancy and the floors one after the other.
  const steady: Record<Mode, { preview: number; up: number; requests: number[] }> = {
    tenancy: { preview: 0, up: 0, requests: [] },
    floor: { preview: 0, up: 0, requests: [] },
    "floor-outputs": { preview: 0, up: 0, requests: [] },
  };
  const runName: Record<Mode, string> = {
    tenancy: "PULUMI_SKIP_CHECKPOINTS",
    floor: "floor, PULUMI_SKIP_CHECKPOINTS",
    "floor-outputs": "floor with tenancy's properties, PULUMI_SKIP_CHECKPOINTS",
  };
  for (const mode of modes) {
    const server =
      mode === "tenancy"
        ? await serve(["--database-url", await createDatabase(), "--rate-limit", "600000"], {
            TENANCY_BOOTSTRAP_TOKEN: adminToken,
            TENANCY_SECRET_KEY: secretKey,
            TENANCY_LOG_LEVEL: "info",
          })
        : undefined;
    const stack = await benchStack(largest, mode, server);
    try {
      const created = await timedStep(stack, createAll, skipCheckpoints);
      record(runName[mode], largest, resources, created);
      const start = requestCount(server);
      steady[mode].preview = await timedStep(stack, ["preview", "--expect-no-changes"]);
      const afterPreview = requestCount(server);
      await stack.pulumiOk(["config", "set", "bench:bump", "4"]);
      await stack.pulumiOk(["config", "set", "bench:bumped", "1"]);
      steady[mode].up = await timedStep(stack, createAll);
      if (start !== undefined)
        steady[mode].requests = [afterPreview! - start, requestCount(server)! - afterPreview!];
      process.stderr.write(`bench: steady N=${largest} ${mode}: ${JSON.stringify(steady[mode])}\n`);
    } finally {
      await stack.discard();
      await server?.stop();
    }
  }

  const previewRatio = steady.tenancy.preview / steady.floor.preview;
  target(
    `preview (no change), HTTP, N = ${largest}`,
    `${steady.tenancy.preview.toFixed(1)} s, ${steady.tenancy.requests[0]} requests; ${(steady.tenancy.preview / steady["floor-outputs"].preview).toFixed(2)}× the floor with tenancy's properties`,
    `${steady.floor.preview.toFixed(1)} s`,
    previewRatio,
    "≤ 1.2×, 0 requests",
    previewRatio <= 1.2 && steady.tenancy.requests[0] === 0,
  );
  const upRatio = steady.tenancy.up / steady.floor.up;
  const upRequests = steady.tenancy.requests[1]!;
  target(
    `up (one quota changed), HTTP, N = ${largest}`,
    `${steady.tenancy.up.toFixed(1)} s, ${upRequests} requests; ${(steady.tenancy.up / steady["floor-outputs"].up).toFixed(2)}× the floor with tenancy's properties`,
    `${steady.floor.up.toFixed(1)} s`,
    upRatio,
    "≤ 1.2×, 1–2 requests",
    upRatio <= 1.2 && upRequests >= 1 && upRequests <= 2,
  );

  lines.push(
    `## Engine at scale: the N = ${largest} organisation in its steady state`,
    "",
    "| run | N | resources | create-all up s | ms per resource |",
    "|---|---|---|---|---|",
    ...rows,
    "",
    `Then, default settings, HTTP + PostgreSQL (${resources} resources):`,
    "",
    "| step | tenancy s | floor s | ratio | floor with tenancy's properties s | ratio | control-plane requests |",
    "|---|---|---|---|---|---|---|",
    ...(["preview", "up"] as const).map((step, i) => {
      const [t, f, w] = [steady.tenancy[step], steady.floor[step], steady["floor-outputs"][step]];
      const name = step === "preview" ? "preview (no change)" : "up (one quota changed)";
      return `| ${name} | ${t.toFixed(1)} | ${f.toFixed(1)} | ${(t / f).toFixed(2)} | ${w.toFixed(1)} | ${(t / w).toFixed(2)} | ${steady.tenancy.requests[i]} |`;
    }),
    "",
  );
}

async function cannon(
  url: string,
  connections: number,
  options: Partial<autocannon.Options>,
  token = adminToken,
) {
  const result = await autocannon({
    url,
    connections,
    duration: 5,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...options,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    ok: result["2xx"],
  };
}

/** Fills an environment with `count` live reservations through the API, 16 at a time. */
async function fillReservations(org: LoadOrg, project: string, count: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < count) {
        const response = await fetch(
          `${org.url}/v1/projects/${project}/environments/production/reservations`,
          {
            method: "POST",
            headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
            body: JSON.stringify({ cpu: "1m" }),
          },
        );
        if (response.status !== 201) throw new Error(`filling ${project}: ${response.status}`);
      }
    }),
  );
}

/** What an admission costs with 10 and with 10,000 live reservations in its environment. */
async function liveReservationsBench(org: LoadOrg, lines: string[]) {
  const rows: string[] = [];
  const rates: number[] = [];
  for (const live of [10, 10_000]) {
    const project = `live${live}`;
    await fetch(`${org.url}/v1/projects`, {
      method: "POST",
      headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: project }),
    });
    for (const [p, body] of [
      [`/v1/projects/${project}/environments`, { domain: "production" }],
      [`/v1/projects/${project}/role-bindings`, { subject: "service:runtime", role: "admin" }],
    ] as const) {
      await fetch(org.url + p, {
        method: "POST",
        headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    }
    await fetch(`${org.url}/v1/projects/${project}/environments/production/quota`, {
      method: "PUT",
      headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ cpu: "1000000000" }),
    });
    await fillReservations(org, project, live);
    const url = `${org.url}/v1/projects/${project}/environments/production/reservations`;
    const result = await cannon(
      url,
      16,
      { method: "POST", body: JSON.stringify({ cpu: "1m" }), duration: 3 },
      org.runtimeToken,
    );
    rows.push(`| ${live.toLocaleString("en")} | ${result.rps.toFixed(0)} | ${result.p50} / ${result.p99} |`);
    rates.push(result.rps);
  }
  const [few, many] = rates;
  target(
    "admissions with 10,000 live reservations against 10, 16 connections",
    `${many!.toFixed(0)} /s`,
    `${few!.toFixed(0)} /s`,
    many! / few!,
    "the same cost (≥ 0.9×)",
    many! / few! >= 0.9,
  );
  lines.push(
    "Admissions into one environment at 16 connections, by the live reservations it already holds (3 s each):",
    "",
    "| live reservations | admissions/s | p50 / p99 ms |",
    "|---|---|---|",
    ...rows,
    "",
  );
}

/** The same reads through the embedded transport, in process: one caller, one request at a time
 * (PGlite is one connection). */
async function embeddedReads(lines: string[]) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-bench-embedded-"));
  const transport = createEmbeddedTransport({ dataDir });
  const client = createApiClient(transport);
  try {
    await client.domains.create({ name: "production", tier: "production" });
    await client.projects.create({ name: "web" });
    await client.environments.create("web", { domain: "production" });
    await client.quotas.put("web", "production", { cpu: "1000" });
    const rows: string[] = [];
    for (const [name, read] of [
      ["read: get environment", () => client.environments.get("web", "production")],
      ["read: effective configuration", () => client.effective.get("web", "production")],
    ] as const) {
      for (let i = 0; i < 200; i++) await read(); // warm up
      const latencies: number[] = [];
      const start = process.hrtime.bigint();
      while (Number(process.hrtime.bigint() - start) < 5e9) {
        const t0 = process.hrtime.bigint();
        await read();
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      latencies.sort((x, y) => x - y);
      const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2);
      rows.push(`| ${name} | ${(latencies.length / seconds).toFixed(0)} | ${at(0.5)} / ${at(0.99)} |`);
    }
    lines.push(
      "Embedded transport (PGlite in process, requests through the same Fastify app by inject()), one request at a time for 5 s:",
      "",
      "| operation | requests/s | p50 / p99 ms |",
      "|---|---|---|",
      ...rows,
      "",
    );
  } finally {
    await transport.close?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function databaseBench(lines: string[]) {
  const dbUrl = await createDatabase();
  const server = await serve(["--database-url", dbUrl, "--rate-limit", "10000000"], {
    TENANCY_BOOTSTRAP_TOKEN: adminToken,
    TENANCY_SECRET_KEY: secretKey,
  });
  try {
    const org = await seedLoadOrg(server.url, adminToken);
    lines.push("## Database: the API against pgbench on the same PostgreSQL", "");
    lines.push(
      `${databaseReps} runs of 5 s per cell, the API's and pgbench's alternating; the median of each, with the range in brackets (the latencies are the median run's). autocannon against \`tenancy serve\` with a runtime's token (a plain token with a role binding: every request authenticates and runs its role check), pgbench running the statements one request needs (bench/api-load.ts), prepared as the server prepares them, in the same transaction shape, directly: the authentication (with the route's read) for one request, one statement per transaction. The server looks up the requests that arrive while its lookups are out in one statement, so under load it sends fewer statements than pgbench runs; pgbench's rate is the database's own for the same work, request by request. pgbench's p50 and p99 come from a tenth of its transactions, sampled into its log.`,
      "",
    );
    lines.push(
      "| operation | connections | API req/s | API p50 / p99 ms | pgbench tps | pgbench mean / p50 / p99 ms | API / pgbench |",
      "|---|---|---|---|---|---|---|",
    );
    let admitted = 0;
    let counted = 0;
    const reservedMilli = async () => {
      const quota = (await (
        await fetch(`${server.url}/v1/projects/web/environments/production/quota`, {
          headers: { authorization: `Bearer ${adminToken}` },
        })
      ).json()) as { usage: { cpu: string } };
      const cpu = quota.usage.cpu;
      return cpu.endsWith("m") ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
    };
    const readRates = new Map<number, number>();
    const cells = new Map<string, Cell>();
    const loadList = loads(org);
    const reads = loadList.slice(0, 2);
    for (const load of loadList) {
      // The reads' stack floor runs in the same cells, alternating with the API and pgbench.
      const floor = reads.includes(load)
        ? await httpFloor({ BENCH_FLOOR_DATABASE_URL: dbUrl, BENCH_FLOOR_SQL: load.sql })
        : undefined;
      try {
        for (const connections of connectionCounts) {
          const apiRuns: Awaited<ReturnType<typeof cannon>>[] = [];
          const pgRuns: ReturnType<typeof pgbench>[] = [];
          const floorRuns: number[] = [];
          for (let rep = 0; rep < databaseReps; rep++) {
            const before = load.reservations ? await reservedMilli() : 0;
            await load.reset?.();
            const run = await cannon(
              load.options.url ?? org.url,
              connections,
              load.options,
              org.runtimeToken,
            );
            if (load.reservations) {
              admitted += run.ok;
              counted += (await reservedMilli()) - before;
            }
            apiRuns.push(run);
            pgRuns.push(pgbench(dbUrl, connections, load.sql));
            if (floor) floorRuns.push((await cannon(floor.url, connections, {})).rps);
          }
          // The run of median rate, with its latencies; errors over every run.
          const api = apiRuns.find((run) => run.rps === median(apiRuns.map((r) => r.rps)))!;
          const errors = apiRuns.reduce((sum, run) => sum + run.errors, 0);
          const pg = pgRuns.find((run) => run.tps === median(pgRuns.map((r) => r.tps)))!;
          if (load.name === "read: get environment") readRates.set(connections, api.rps);
          cells.set(`${load.name} ${connections}`, {
            ...api,
            tps: pg.tps,
            pgP99: pg.p99Ms,
            ...(floor ? { floor: { rps: median(floorRuns), range: spread(floorRuns, 0) } } : {}),
          });
          lines.push(
            `| ${load.name} | ${connections} | ${api.rps.toFixed(0)}${errors ? ` (${errors} errors)` : ""} (${spread(
              apiRuns.map((r) => r.rps),
              0,
            )}) | ${api.p50} / ${api.p99} | ${pg.tps.toFixed(0)} (${spread(
              pgRuns.map((r) => r.tps),
              0,
            )}) | ${pg.latencyMs.toFixed(2)} / ${pg.p50Ms.toFixed(1)} / ${pg.p99Ms.toFixed(1)} | ${(api.rps / pg.tps).toFixed(2)} |`,
          );
        }
      } finally {
        floor?.stop();
      }
    }
    // Each run of the contended load may stop with one request in flight per connection.
    const inFlightAtStops = databaseReps * connectionCounts.reduce((sum, c) => sum + c, 0);
    const overCommitHolds = counted >= admitted && counted - admitted <= inFlightAtStops;
    lines.push(
      "",
      `Reservations in the contended environment: ${admitted} admitted (201 answers) during the API runs; the quota's usage grew by ${counted}m cpu over them (1m each); the difference, ${counted - admitted}, must lie between 0 and the ${inFlightAtStops} requests that can be in flight when its ${databaseReps * connectionCounts.length} runs stop (their answers are not counted): ${overCommitHolds ? "it does" : "IT DOES NOT"}. Over-commit under contention is checked by test/api/concurrency.spec.ts (200 concurrent reservations against a limit of 7 admit exactly 7; 1,000 against a ceiling admit exactly 200).`,
      "",
    );
    const [getEnvironment, effective, quotaWrites, contended, spreadLoad] = loadList.map((l) => l.name);
    for (const name of [getEnvironment!, effective!]) {
      for (const connections of [16, 64]) {
        const cell = cells.get(`${name} ${connections}`)!;
        const ratio = cell.rps / cell.tps;
        const p99 = connections === 64 ? `, p99 ${cell.p99} ms` : "";
        target(
          `${name}, ${connections} connections`,
          `${cell.rps.toFixed(0)} req/s${p99}`,
          `${cell.tps.toFixed(0)} tps`,
          ratio,
          connections === 64 ? "≥ 0.5× pgbench, p99 ≤ 25 ms" : "≥ 0.5× pgbench",
          ratio >= 0.5 && (connections !== 64 || cell.p99 <= 25),
        );
      }
    }
    for (const connections of [16, 64]) {
      const cell = cells.get(`${quotaWrites} ${connections}`)!;
      target(
        `${quotaWrites}, ${connections} connections`,
        `${cell.rps.toFixed(0)} req/s, p99 ${cell.p99} ms`,
        `${cell.tps.toFixed(0)} tps, p99 ${cell.pgP99.toFixed(0)} ms`,
        cell.rps / cell.tps,
        "≥ 1,000 req/s, p99 ≤ 50 ms",
        cell.rps >= 1000 && cell.p99 <= 50,
      );
    }
    const spreadCell = cells.get(`${spreadLoad} 64`)!;
    target(
      `${spreadLoad}, 64 connections`,
      `${spreadCell.rps.toFixed(0)} /s`,
      `${spreadCell.tps.toFixed(0)} tps`,
      spreadCell.rps / spreadCell.tps,
      "≥ 1,000 /s",
      spreadCell.rps >= 1000,
    );
    for (const connections of [16, 64]) {
      const cell = cells.get(`${contended} ${connections}`)!;
      target(
        `${contended}, ${connections} connections`,
        `${cell.rps.toFixed(0)} /s`,
        `${cell.tps.toFixed(0)} tps`,
        cell.rps / cell.tps,
        "≥ 0.8× pgbench",
        cell.rps / cell.tps >= 0.8,
      );
    }
    target(
      "over-commit in the contended runs",
      `${admitted} admitted, usage grew by ${counted} (at most ${inFlightAtStops} unanswered in flight)`,
      "",
      undefined,
      "none",
      overCommitHolds,
    );
    await liveReservationsBench(org, lines);
    await embeddedReads(lines);

    // The HTTP floor: the same body as "get environment", from Fastify alone.
    const env = `${server.url}/v1/projects/web/environments/production`;
    const body = await (await fetch(env, { headers: { authorization: `Bearer ${adminToken}` } })).text();
    const floor = await httpFloor({ BENCH_FLOOR_BODY: body });
    try {
      lines.push(
        `HTTP floor: bare Fastify answering the same ${body.length}-byte body with no database or auth, same load generator:`,
        "",
        "| connections | floor req/s | floor p50 / p99 ms | get environment / floor |",
        "|---|---|---|---|",
      );
      for (const connections of connectionCounts) {
        const result = await cannon(floor.url, connections, {});
        const api = readRates.get(connections)!;
        lines.push(
          `| ${connections} | ${result.rps.toFixed(0)} | ${result.p50} / ${result.p99} | ${(api / result.rps).toFixed(2)} |`,
        );
      }
      lines.push("");
    } finally {
      floor.stop();
    }
    stackFloor(lines, reads, cells);
  } finally {
    await server.stop();
  }
}

/** A database cell: the API's median run, pgbench's median rate and, for the reads, the stack floor's. */
type Cell = Awaited<ReturnType<typeof cannon>> & {
  tps: number;
  /** pgbench's p99 latency (ms), from a tenth of its transactions. */
  pgP99: number;
  floor?: { rps: number; range: string };
};

/**
 * The reads on the stack's own floor: Fastify and node-pg answering each request with the row of
 * the statement that reads one request's token, bindings and object (prepared, on a pool of the
 * server's size), one statement per request, nothing else: what no server on this stack that sends
 * a statement per request can beat on the same cores as PostgreSQL and the load generator.
 */
function stackFloor(lines: string[], reads: ReturnType<typeof loads>, cells: Map<string, Cell>) {
  lines.push(
    `Stack floor: Fastify and node-pg (prepared, a pool of 10 as \`tenancy serve\`) answering each request with the row of the statement that reads one request's token, bindings and object, one statement per request, and nothing else (no token hashing, role check, row mapping or validation, and no batching); same load generator, same PostgreSQL, run in the cells above after the API and pgbench (median of ${databaseReps}, range in brackets):`,
    "",
    "| operation | connections | stack floor req/s | floor / pgbench | tenancy / floor |",
    "|---|---|---|---|---|",
  );
  for (const read of reads) {
    for (const connections of connectionCounts) {
      const cell = cells.get(`${read.name} ${connections}`)!;
      const floor = cell.floor!;
      lines.push(
        `| ${read.name} | ${connections} | ${floor.rps.toFixed(0)} (${floor.range}) | ${(floor.rps / cell.tps).toFixed(2)} | ${(cell.rps / floor.rps).toFixed(2)} |`,
      );
    }
  }
  lines.push("");
}

const resultsFile = path.join(
  repoRoot,
  parts.length === allParts.length ? "bench/RESULTS.md" : `bench/RESULTS-${parts.join("-")}.md`,
);

/** Writes what is measured so far, so a long run that fails late still leaves its figures. */
function save(lines: string[]) {
  const [title, blank, recorded, machine, ...rest] = lines;
  const table = [
    "## Targets",
    "",
    "Every figure with a target, from this run: the floor is what the same work costs without tenancy (pgbench running the same statements; the engine with no-op resources).",
    "",
    "| figure | measured | floor | ratio | target | status |",
    "|---|---|---|---|---|---|",
    ...summary,
    "",
  ];
  fs.writeFileSync(
    resultsFile,
    [title, blank, recorded, machine, "", ...table, ...rest.slice(1)].join("\n") + "\n",
  );
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-bench-"));
  fs.chmodSync(work, 0o755);
  let cluster: PostgresCluster | undefined;
  const lines: string[] = [];
  try {
    cluster = await startPostgresCluster(path.join(work, "pgdata"));
    process.env.TENANCY_TEST_PG_URL = cluster.url;
    const node = process.version;
    const pulumi = execFileSync("pulumi", ["version"], { encoding: "utf8" }).trim();
    lines.push(
      "# Benchmark results",
      "",
      `Recorded ${new Date().toISOString()} by \`npm run bench\` (BENCH_PARTS=${parts.join(",")}, BENCH_SIZES=${sizes.join(",")}, BENCH_REPS=${reps}, BENCH_SCALE_SIZES=${scaleSizes.join(",")}).`,
      `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${node}; pulumi ${pulumi}; PostgreSQL 15 (fsync off, test cluster).`,
      "",
    );
    if (parts.includes("database")) {
      await databaseBench(lines);
      save(lines);
    }
    if (parts.includes("engine")) {
      await engineBench(lines);
      save(lines);
    }
    if (parts.includes("scale")) {
      await scaleBench(lines);
      save(lines);
    }
    if (parts.includes("steady")) {
      await steadyBench(lines);
      save(lines);
    }
  } finally {
    cluster?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
  process.stdout.write(fs.readFileSync(resultsFile, "utf8"));
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.stack ?? err}\n`);
  process.exit(1);
});
