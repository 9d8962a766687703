// `tenancy run`: starts a process with an environment's secret values in its environment, and
// nowhere else (no file, no output). Bindings with a reference are named and skipped: their value
// lives in another store. The child's exit status and signals pass through.
import { spawn } from "node:child_process";
import type { TenancyClient } from "../client";

/** The variable a binding's value goes in: `db-password` → `DB_PASSWORD`. */
export function variableOf(binding: string): string {
  return binding.toUpperCase().replaceAll("-", "_");
}

/** The signals a supervisor sends that the child must get instead of this process. */
const forwarded: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];

/** The environment's variables: its names, and each secret value revealed (each reveal audited). */
async function variables(api: TenancyClient, project: string, environment: string) {
  const env = await api.environments.get(project, environment);
  const values: Record<string, string> = {
    TENANCY_PROJECT: env.project,
    TENANCY_ENVIRONMENT: env.name,
    TENANCY_DOMAIN: env.domain,
  };
  for (const binding of await api.secrets.list(project, environment)) {
    if (binding.kind === "reference") {
      process.stderr.write(
        `tenancy run: ${binding.name} is a reference to ${binding.reference}, not a value: not set\n`,
      );
      continue;
    }
    const revealed = await api.secrets.reveal(project, environment, binding.name);
    values[variableOf(binding.name)] = revealed.value!;
  }
  return values;
}

/**
 * Runs `command` with the environment's variables added to this process's, and resolves with what
 * this process should exit with: the child's status, or 128 + the number of the signal that ended it
 * (after which the caller re-raises it, so a supervisor sees the same end).
 */
export async function runWithEnvironment(
  api: TenancyClient,
  project: string,
  environment: string,
  command: string[],
): Promise<{ code: number } | { signal: NodeJS.Signals }> {
  let added: Record<string, string>;
  try {
    added = await variables(api, project, environment);
  } finally {
    // Closed before the child starts: an embedded store is then free for the child to open.
    await api.close();
  }
  const child = spawn(command[0]!, command.slice(1), { stdio: "inherit", env: { ...process.env, ...added } });
  const pass = (signal: NodeJS.Signals) => () => void child.kill(signal);
  const handlers = forwarded.map((signal) => [signal, pass(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    return await new Promise((resolve, reject) => {
      child.once("error", (err) => reject(new Error(`cannot run ${command[0]}: ${err.message}`)));
      child.once("exit", (code, signal) => resolve(signal ? { signal } : { code: code ?? 1 }));
    });
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
