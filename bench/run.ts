// `npm run bench`: tenancy measured against the floors it cannot beat, in the same run on the same
// machine, written to bench/RESULTS.md.
// - Engine: the same organisation as tenancy resources and as no-op dynamic resources (the engine
//   floor), interleaved, on the embedded store and on HTTP + PostgreSQL: preview of an empty stack,
//   up creating everything, preview with no change, up changing 1% of the quotas, refresh, destroy.
// - Database: API reads and writes at 1, 16 and 64 connections (autocannon) against pgbench running
//   the comparable query on the same PostgreSQL; reservations per second under contention; the
//   reads on the stack's own floor (Fastify and node-pg running the same statement, nothing else).
// - Sync: a cold `tenancy sync` against `kubectl apply --server-side`, a resync with nothing to
//   change, and the time from a quota's write to the cluster (bench/parts/sync.ts).
// - Scale: time per resource as N grows, and the levers (PULUMI_SKIP_CHECKPOINTS, --parallel,
//   PULUMI_PARALLEL_DIFF, several stacks).
// Sizes and repetitions: BENCH_SIZES (default "10"), BENCH_REPS (default 3), BENCH_SCALE_SIZES
// (default "100,300": the size the levers are measured at, and the largest, run with
// PULUMI_SKIP_CHECKPOINTS only), BENCH_DATABASE_REPS (runs of each database cell, default 3).
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPostgresCluster, type PostgresCluster } from "../scripts/harness";
import { databaseBench } from "./parts/database";
import { engineBench } from "./parts/engine";
import { scaleBench } from "./parts/scale";
import { steadyBench } from "./parts/steady";
import { syncBench } from "./parts/sync";
import { resultsFile, save } from "./report";
import { parts, reps, scaleSizes, sizes } from "./settings";

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
    if (parts.includes("sync")) {
      await syncBench(lines);
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
