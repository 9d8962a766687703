// The scale part: time per resource as the organisation grows, and what each lever buys.
import * as os from "node:os";
import { target, timed } from "../report";
import { scaleSizes, type Mode } from "../settings";
import { benchStack, createAll, httpServer, resourcesOf, skipCheckpoints, timedStep } from "./engine";

/**
 * How the engine's cost grows with the organisation, and what each lever a large organisation has
 * buys: one run each, HTTP + PostgreSQL. The file backend rewrites the whole state after every
 * step, so without levers a create-all `up` costs O(N²) bytes written.
 */
export async function scaleBench(lines: string[]) {
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
