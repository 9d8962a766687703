// The steady part: the largest organisation, unchanged and with one change.
import { createDatabase, serve } from "../../scripts/harness";
import { target } from "../report";
import { adminToken, modes, scaleSizes, secretKey, type Mode } from "../settings";
import { benchStack, createAll, requestCount, resourcesOf, skipCheckpoints, timedStep } from "./engine";

/**
 * The largest organisation (BENCH_SCALE_SIZES' second) in its steady state, one run each, HTTP +
 * PostgreSQL: created with PULUMI_SKIP_CHECKPOINTS (a create-all with checkpoints is O(N²) here,
 * hours), then a no-change preview and an `up` changing one quota with default settings.
 */
export async function steadyBench(lines: string[]) {
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
