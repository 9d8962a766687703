// `tenancy sync` as operators run it (the built CLI in its own process), and waiting for what it does.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "../../scripts/harness";

export interface SyncProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function startSync(args: string[], env: NodeJS.ProcessEnv): SyncProcess {
  const child = spawn(process.execPath, [path.join(repoRoot, "dist/cli/main.js"), "sync", ...args], {
    env: { ...process.env, TENANCY_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (chunk) => (output += chunk));
  child.stderr!.on("data", (chunk) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    async kill(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** `tenancy sync --once …`: its exit code and everything it printed. */
export async function syncOnce(args: string[], env: NodeJS.ProcessEnv) {
  const sync = startSync(["--once", ...args], env);
  const code = await sync.exited;
  return { code, output: sync.output() };
}

/** Polls `check` until it answers something other than undefined; fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`${what} within ${timeoutMs} ms${last ? `: ${String(last)}` : ""}`);
}
