// `npm run bench:engine-profile`: where a no-change preview's time goes, for tenancy's resources,
// the engine floor, and the floor with tenancy's properties (bench/program), on the embedded store.
// For each: a create-all up and one warm preview, then a preview with node's CPU profiler on the
// program process (NODE_OPTIONS) while the CPU of every process in the stack's folder (the program,
// the engine, the dynamic-provider host) is read from /proc. The profile is summed by component.
// Writes bench/ENGINE-PROFILE.md. BENCH_ENGINE_PROFILE_N: projects (default 30, 22 resources each).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { TestStack, processesIn, repoRoot } from "../scripts/harness";
import { componentClassifier, cpuTicks, selfTimes, sumBy, type CpuProfile } from "./cpu-profile";

const projects = Number(process.env.BENCH_ENGINE_PROFILE_N ?? 30);
const modes = [
  ["tenancy", "tenancy"],
  ["floor", "floor (no-op resources, same arguments)"],
  ["floor-outputs", "floor with tenancy's properties"],
] as const;

const roles: [string, RegExp][] = [
  ["program (Node)", /cmd\/run/],
  ["dynamic-provider host (Node)", /dynamic-provider/],
  ["language host", /pulumi-language-nodejs/],
  ["engine (pulumi CLI)", /^pulumi /],
];

/** CPU ticks per process role, sampled until `done` settles; a process's last reading counts. */
async function cpuByRole(dir: string, done: Promise<unknown>): Promise<Map<string, number>> {
  const last = new Map<number, { role: string; ticks: number }>();
  const sample = () => {
    for (const { pid, command } of processesIn(dir)) {
      try {
        const role = roles.find(([, pattern]) => pattern.test(command))?.[0] ?? "other";
        last.set(pid, { role, ticks: cpuTicks(pid) });
      } catch {
        // ended since it was listed
      }
    }
  };
  const timer = setInterval(sample, 100);
  try {
    await done;
  } finally {
    clearInterval(timer);
  }
  const sums = new Map<string, number>();
  for (const { role, ticks } of last.values()) sums.set(role, (sums.get(role) ?? 0) + ticks);
  return sums;
}

const components: [string, RegExp][] = [
  [
    "source maps of the SDK's stack traces (source-map-support)",
    /source-map-support|@jridgewell|\/source-map\//,
  ],
  ["Pulumi SDK: a stack trace per promise (debuggable.js)", /@pulumi\/pulumi\/runtime\/debuggable/],
  ["Pulumi SDK: the rest", /@pulumi\/pulumi\//],
  ["TypeScript compile of the program (ts-node)", /node_modules\/(typescript|ts-node)\//],
  ["gRPC and protobuf", /@grpc\/|google-protobuf|protobufjs/],
  ["tenancy SDK", /\/dist\/sdk\//],
  ["the program", /\/program\/index\.ts/],
  ["other packages", /node_modules\//],
  ["Node (modules, streams, timers)", /^node:|^$/],
];

const componentOf = componentClassifier(components, "idle");

async function profileMode(mode: string) {
  const stack = await TestStack.create({
    program: path.join(repoRoot, "bench/program"),
    config: { "bench:projects": String(projects), "bench:mode": mode },
  });
  try {
    await stack.pulumiOk(["config", "set", "tenancy:endpoint", `file://${path.join(stack.root, "store")}`]);
    await stack.pulumiOk(["up", "--yes", "--skip-preview"]);
    await stack.pulumiOk(["preview", "--expect-no-changes"]); // warm: the store opened once
    const profileDir = path.join(stack.root, "profile");
    const start = process.hrtime.bigint();
    const preview = stack.pulumi(["preview", "--expect-no-changes"], {
      env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${profileDir}` },
    });
    const cpu = await cpuByRole(stack.programDir, preview);
    const result = await preview;
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.code !== 0) throw new Error(`${mode}: preview failed:\n${result.output.slice(-4000)}`);
    // The program's profile is the largest: the hosts the engine kills write none.
    const [file] = fs
      .readdirSync(profileDir)
      .map((f) => path.join(profileDir, f))
      .sort((a, b) => fs.statSync(b).size - fs.statSync(a).size);
    if (!file) throw new Error(`${mode}: the program wrote no CPU profile`);
    const profile = JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile;
    const resources = (await stack.exportState()).resources.filter((r) =>
      r.type.startsWith("pulumi-nodejs:dynamic/"),
    ).length;
    return { seconds, cpu, components: sumBy(selfTimes(profile), componentOf), resources };
  } finally {
    await stack.discard();
  }
}

type Profiled = Awaited<ReturnType<typeof profileMode>> & { label: string };

async function main() {
  const results: Profiled[] = [];
  for (const [mode, label] of modes) {
    process.stderr.write(`engine-profile: ${label}\n`);
    results.push({ label, ...(await profileMode(mode)) });
  }
  const resources = results[0]!.resources;
  const cpuSeconds = (r: Profiled, role: string) => ((r.cpu.get(role) ?? 0) / 100).toFixed(1);
  const componentNames = [...new Set(results.flatMap((r) => r.components.map(([c]) => c)))].filter(
    (c) => c !== "idle",
  );
  const msPerResource = (r: Profiled, component: string) =>
    ((r.components.find(([c]) => c === component)?.[1] ?? 0) / 1000 / r.resources).toFixed(2);
  const lines = [
    "# Where a no-change preview's time goes",
    "",
    `Recorded ${new Date().toISOString()} by \`npm run bench:engine-profile\`: the bench organisation with N = ${projects} (${resources} resources), embedded store, ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}. One warm preview first; figures from the next, with node's CPU profiler on the program.`,
    "",
    "CPU seconds by process (user + system, from /proc) and the preview's wall time:",
    "",
    `| run | wall s | ${roles.map(([r]) => r).join(" | ")} |`,
    `|---|---|${roles.map(() => "---|").join("")}`,
    ...results.map(
      (r) =>
        `| ${r.label} | ${r.seconds.toFixed(1)} | ${roles.map(([role]) => cpuSeconds(r, role)).join(" | ")} |`,
    ),
    "",
    "The program process's CPU by component, ms per resource (its profile's self time):",
    "",
    `| component | ${results.map((r) => r.label).join(" | ")} |`,
    `|---|${results.map(() => "---|").join("")}`,
    ...componentNames.map((c) => `| ${c} | ${results.map((r) => msPerResource(r, c)).join(" | ")} |`),
    "",
  ];
  fs.writeFileSync(path.join(repoRoot, "bench/ENGINE-PROFILE.md"), lines.join("\n") + "\n");
  process.stdout.write(lines.join("\n") + "\n");
}

main().catch((err) => {
  process.stderr.write(`engine-profile: ${err.stack ?? err}\n`);
  process.exit(1);
});
