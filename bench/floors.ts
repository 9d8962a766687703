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
): { tps: number; latencyMs: number; transactions: number; cpuTicks: number } {
  const script = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pgbench-")), "q.sql");
  fs.writeFileSync(script, sql);
  fs.chmodSync(path.dirname(script), 0o755);
  fs.chmodSync(script, 0o644);
  const bin = execFileSync("bash", [path.join(repoRoot, "scripts/ensure-postgres.sh")], {
    encoding: "utf8",
  }).trim();
  let out: string;
  const ticksBefore = childrenTicks();
  try {
    out = execFileSync(
      path.join(bin, "pgbench"),
      // Prepared, as the server sends its repeated statements.
      ["-n", "-M", "prepared", "-c", String(connections), "-j", "2", "-T", "5", "-f", script, dbUrl],
      { encoding: "utf8" },
    );
  } finally {
    fs.rmSync(path.dirname(script), { recursive: true, force: true });
  }
  return {
    tps: Number(/tps = ([\d.]+)/.exec(out)![1]),
    latencyMs: Number(/latency average = ([\d.]+) ms/.exec(out)![1]),
    transactions: Number(/number of transactions actually processed: (\d+)/.exec(out)![1]),
    cpuTicks: childrenTicks() - ticksBefore,
  };
}
