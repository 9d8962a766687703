// The floors tenancy is measured against, each in its own process: bench/http-floor.ts, and pgbench
// running the statements a request sends.
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "../scripts/harness";
import { childrenTicks } from "./cpu-profile";

export interface HttpFloor {
  url: string;
  pid: number;
  stop(): void;
}

/** Starts the floor answering with a fixed body, or with a statement's row, and waits until it listens. */
export async function httpFloor(
  answer: { BENCH_FLOOR_BODY: string } | { BENCH_FLOOR_DATABASE_URL: string; BENCH_FLOOR_SQL: string },
): Promise<HttpFloor> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(repoRoot, "bench/http-floor.ts")], {
    env: { ...process.env, ...answer },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once("exit", (code) => reject(new Error(`the HTTP floor exited with ${code}`)));
  });
  return { url, pid: child.pid!, stop: () => child.kill("SIGTERM") };
}

/** pgbench running `sql` (one request's statements) for 5 s on `connections` connections. */
export function pgbench(
  dbUrl: string,
  connections: number,
  sql: string,
): { tps: number; latencyMs: number; p50Ms: number; p99Ms: number; transactions: number; cpuTicks: number } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pgbench-"));
  const script = path.join(dir, "q.sql");
  fs.writeFileSync(script, sql);
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(script, 0o644);
  const bin = execFileSync("bash", [path.join(repoRoot, "scripts/ensure-postgres.sh")], {
    encoding: "utf8",
  }).trim();
  let out: string;
  let latencies: number[];
  const ticksBefore = childrenTicks();
  try {
    out = execFileSync(
      path.join(bin, "pgbench"),
      // Prepared, as the server sends its repeated statements; a tenth of the transactions'
      // latencies logged (each log line costs pgbench a write), for the percentiles.
      [
        "-n",
        "-M",
        "prepared",
        "-c",
        String(connections),
        "-j",
        "2",
        "-T",
        "5",
        "--log",
        "--sampling-rate=0.1",
        `--log-prefix=${path.join(dir, "log")}`,
        "-f",
        script,
        dbUrl,
      ],
      { encoding: "utf8" },
    );
    // One line per sampled transaction: client, transaction, latency (µs), script, epoch s, µs.
    latencies = fs
      .readdirSync(dir)
      .filter((f) => f.startsWith("log"))
      .flatMap((f) => fs.readFileSync(path.join(dir, f), "utf8").trim().split("\n"))
      .filter((line) => line.length > 0)
      .map((line) => Number(line.split(" ")[2]) / 1000)
      .sort((a, b) => a - b);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? NaN;
  return {
    tps: Number(/tps = ([\d.]+)/.exec(out)![1]),
    latencyMs: Number(/latency average = ([\d.]+) ms/.exec(out)![1]),
    p50Ms: percentile(0.5),
    p99Ms: percentile(0.99),
    transactions: Number(/number of transactions actually processed: (\d+)/.exec(out)![1]),
    cpuTicks: childrenTicks() - ticksBefore,
  };
}
