// `tenancy serve` as a separate process, as operators run it.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { repoRoot } from "./commands";

export interface ServeProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `tenancy serve <args>` on a free port and waits until it listens (or fails); `nodeArgs` go
 * to node itself (a profiler's flags). */
export function serve(
  args: string[],
  env: NodeJS.ProcessEnv,
  nodeArgs: string[] = [],
): Promise<ServeProcess> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, "--import", "tsx", path.join(repoRoot, "cli/main.ts"), "serve", "--port", "0", ...args],
    {
      cwd: repoRoot,
      env: { ...process.env, TENANCY_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tenancy serve did not start within 60 s:\n${output}`));
    }, 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child, output: () => output, stop });
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`tenancy serve exited with ${code}:\n${output}`), { code, output }));
    });
  });
}
