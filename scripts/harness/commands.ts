// Running a command to completion and asserting on it: what the tests and the benchmarks share.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");

/** The outcome of one CLI call; `output` is stdout and stderr interleaved as they arrived. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
  output: string;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
  /** Kills the command and every process it started (its process group) as soon as its output so
   * far satisfies this, as a CI runner killing a job would. */
  killWhen?: (output: string) => boolean;
}

/** Runs a command to completion; never throws for a non-zero exit, the caller asserts on `code`. */
export function run(command: string, args: string[], options: RunOptions): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group, so a kill reaches the plugins it started too.
      detached: options.killWhen !== undefined,
    });
    let killed = false;
    const killIfDue = () => {
      if (killed || !options.killWhen?.(output) || child.pid === undefined || child.exitCode !== null) return;
      killed = true;
      process.kill(-child.pid, "SIGKILL");
    };
    let stdout = "";
    let stderr = "";
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
      killIfDue();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      output += chunk.toString();
    });
    const timeoutMs = options.timeoutMs ?? 300_000;
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${command} ${args.join(" ")} did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr, output });
    });
    child.stdin.end(options.input ?? "");
  });
}

/** Asserts a command succeeded, showing its whole output when it did not. */
export function assertOk(result: CommandResult, what: string): CommandResult {
  assert.equal(result.code, 0, `${what} failed:\n${result.output}`);
  return result;
}
