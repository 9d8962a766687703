// The engine part: the same organisation as tenancy resources and as no-op dynamic resources,
// through preview, up, a 1% change, refresh and destroy: on the embedded store opened by each
// command, on the embedded store kept open between commands (TENANCY_KEEP_OPEN), and on HTTP.
import * as path from "node:path";
import {
  TestStack,
  createDatabase,
  folderHolder,
  isAlive,
  repoRoot,
  serve,
  type ServeProcess,
} from "../../scripts/harness";
import { median, spread, target, timed } from "../report";
import {
  adminToken,
  modes,
  reps,
  secretKey,
  sizes,
  steps,
  type Mode,
  type Sample,
  type Step,
} from "../settings";

export function requestCount(server: ServeProcess | undefined): number | undefined {
  return server ? server.output().split('"incoming request"').length - 1 : undefined;
}

const transports = ["embedded", "kept-open", "http"] as const;
type Transport = (typeof transports)[number];
const heading: Record<Transport, string> = {
  embedded: "Embedded (PGlite), opened by each command",
  "kept-open": "Embedded (PGlite), kept open between commands (TENANCY_KEEP_OPEN)",
  http: "HTTP + PostgreSQL",
};
/** How the targets' table names the transport. */
const short: Record<Transport, string> = {
  embedded: "embedded",
  "kept-open": "embedded kept open",
  http: "HTTP",
};
/** BENCH_TRANSPORTS: a comma-separated subset of the transports (default all). */
const benchTransports = (process.env.BENCH_TRANSPORTS?.split(",") ?? transports).map((name) => {
  if (!(transports as readonly string[]).includes(name)) throw new Error(`BENCH_TRANSPORTS: unknown ${name}`);
  return name as Transport;
});

/** Stops the process that keeps the store in `dataDir` open, if any, and waits for it to let go. */
async function stopKeptOpen(dataDir: string) {
  const pid = folderHolder(dataDir);
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 30_000;
  while (folderHolder(dataDir) !== undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export async function measure(
  mode: Mode,
  transport: Transport,
  n: number,
  server?: ServeProcess,
): Promise<Sample> {
  const config: Record<string, string | { secret: string }> = {
    "bench:projects": String(n),
    "bench:mode": mode,
  };
  if (server)
    Object.assign(config, { "tenancy:endpoint": server.url, "tenancy:token": { secret: adminToken } });
  // The floors do not open a store: kept open or not, they are the same.
  const keepOpen = transport === "kept-open" && mode === "tenancy";
  const env = keepOpen ? { TENANCY_KEEP_OPEN: "600" } : {};
  const stack = await TestStack.create({ program: path.join(repoRoot, "bench/program"), config });
  try {
    if (!server)
      await stack.pulumiOk(["config", "set", "tenancy:endpoint", `file://${path.join(stack.root, "store")}`]);
    const seconds = {} as Record<Step, number>;
    const requests: Partial<Record<Step, number>> = {};
    const step = async (name: Step, args: string[]) => {
      const before = requestCount(server);
      // Large organisations take many minutes per step on the file backend.
      const [result, s] = await timed(() => stack.pulumi(args, { env, timeoutMs: 3 * 3600_000 }));
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
    if (keepOpen) await stopKeptOpen(path.join(stack.root, "store"));
    await stack.dispose();
  }
}

export async function engineBench(lines: string[]) {
  lines.push("## Engine: tenancy against the engine floor", "");
  lines.push(
    "Seconds per step, median (min–max) of the repetitions; tenancy and the floor run interleaved. The floor is the same graph of no-op dynamic resources.",
    "",
  );
  for (const transport of benchTransports) {
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
      lines.push(`### ${heading[transport]}, N = ${n} (${t[0]!.resources} resources)`, "");
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
          transport === "http"
            ? String(median(t.map((x) => x.requests[s] ?? 0)))
            : transport === "embedded"
              ? "n/a (in process)"
              : "n/a (not counted on the socket)";
        lines.push(
          `| ${s} | ${median(ts).toFixed(1)} (${spread(ts)}) | ${median(fs_).toFixed(1)} (${spread(fs_)}) | ${(median(ts) / median(fs_)).toFixed(2)} | ${median(ws).toFixed(1)} (${spread(ws)}) | ${(median(ts) / median(ws)).toFixed(2)} | ${req} |`,
        );
      }
      const perResource = median(t.map((x) => x.seconds["up (create all)"] / x.resources));
      const stepRatio = (step: Step) =>
        median(t.map((x) => x.seconds[step])) / median(f.map((x) => x.seconds[step]));
      const where = `${short[transport]}, N = ${n}`;
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
      const refresh = median(t.map((x) => x.seconds.refresh));
      const refreshRequests =
        transport === "http" ? median(t.map((x) => x.requests.refresh ?? 0)) : undefined;
      target(
        `refresh, ${where}`,
        `${refresh.toFixed(1)} s${refreshRequests === undefined ? "" : `, ${refreshRequests} requests`}; ${(refresh / median(w.map((x) => x.seconds.refresh))).toFixed(2)}× the floor with tenancy's properties`,
        `${median(f.map((x) => x.seconds.refresh)).toFixed(1)} s`,
        stepRatio("refresh"),
        "≤ 1.2×",
        stepRatio("refresh") <= 1.2,
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

export async function httpServer(): Promise<ServeProcess> {
  return serve(["--database-url", await createDatabase(), "--rate-limit", "600000"], {
    TENANCY_BOOTSTRAP_TOKEN: adminToken,
    TENANCY_SECRET_KEY: secretKey,
  });
}

export async function benchStack(n: number, mode: Mode, server?: ServeProcess, extra = {}) {
  const config: Record<string, string | { secret: string }> = {
    "bench:projects": String(n),
    "bench:mode": mode,
    ...extra,
  };
  if (server)
    Object.assign(config, { "tenancy:endpoint": server.url, "tenancy:token": { secret: adminToken } });
  return TestStack.create({ program: path.join(repoRoot, "bench/program"), config });
}

export async function timedStep(
  stack: TestStack,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<number> {
  const [result, seconds] = await timed(() => stack.pulumi(args, { env, timeoutMs: 3 * 3600_000 }));
  if (result.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${result.output.slice(-4000)}`);
  return seconds;
}

export const createAll = ["up", "--yes", "--skip-preview"];
/** Resources of the bench organisation with `n` projects: 3 domains, 22 per project. */
export const resourcesOf = (n: number) => 3 + 22 * n;
export const skipCheckpoints = { PULUMI_SKIP_CHECKPOINTS: "true" };
