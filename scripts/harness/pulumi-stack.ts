// Runs the real `pulumi` CLI against a temporary file:// backend. Every stack lives in its own
// temporary folder (program copy, backend, PULUMI_HOME), so engine tests can run in parallel, and
// `withStack` always destroys the stack and removes the folder, whatever the test did.
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot, run, type CommandResult } from "./commands";

let cliChecked: Promise<void> | undefined;

/** Fails unless the `pulumi` on PATH is the CLI pinned in package.json (see scripts/env.sh). */
export function requirePinnedCli(): Promise<void> {
  cliChecked ??= (async () => {
    const pkg = JSON.parse(await fs.readFile(path.join(repoRoot, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    };
    const pinned = `v${pkg.dependencies["@pulumi/pulumi"]}`;
    const result = await run("pulumi", ["version"], { cwd: repoRoot }).catch((err: Error) => {
      throw new Error(`the pulumi CLI is not on PATH (source scripts/env.sh first): ${err.message}`);
    });
    if (result.stdout.trim() !== pinned) {
      throw new Error(`pulumi on PATH is ${result.stdout.trim()}, the pin is ${pinned}`);
    }
  })();
  return cliChecked;
}

/**
 * Gives a program folder a node_modules of links to the repository's packages, plus `tenancy`
 * itself, so a program in a temporary folder resolves the same modules as the repository.
 */
export async function linkDependencies(programDir: string): Promise<void> {
  const target = path.join(programDir, "node_modules");
  await fs.mkdir(target, { recursive: true });
  const source = path.join(repoRoot, "node_modules");
  for (const entry of await fs.readdir(source)) {
    if (entry.startsWith(".") || entry === "tenancy") continue;
    await fs.symlink(path.join(source, entry), path.join(target, entry));
  }
  await fs.symlink(repoRoot, path.join(target, "tenancy"));
}

export interface StackOptions {
  /** Folder under test/engine/programs, or an absolute path, copied into the stack's folder. */
  program: string;
  /** Stack config set before the first command: plain values, or `{ secret }`. */
  config?: Record<string, string | { secret: string }>;
  env?: NodeJS.ProcessEnv;
  /** The stack's name (default `test`): two stacks of one program differ by it, as their URNs do. */
  stackName?: string;
  /** Gives the copied program its dependencies; default: links to the repository's (linkDependencies). */
  install?: (programDir: string) => Promise<void>;
}

/** One stack of a program on its own file:// backend. */
export class TestStack {
  private constructor(
    readonly root: string,
    readonly programDir: string,
    readonly env: NodeJS.ProcessEnv,
    readonly name: string,
  ) {}

  static async create(options: StackOptions): Promise<TestStack> {
    await requirePinnedCli();
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "tenancy-engine-"));
    try {
      return await TestStack.initialise(root, options);
    } catch (err) {
      await fs.rm(root, { recursive: true, force: true });
      throw err;
    }
  }

  private static async initialise(root: string, options: StackOptions): Promise<TestStack> {
    const programSource = path.isAbsolute(options.program)
      ? options.program
      : path.join(repoRoot, "test/engine/programs", options.program);
    const programDir = path.join(root, "program");
    await fs.cp(programSource, programDir, { recursive: true });
    await (options.install ?? linkDependencies)(programDir);
    await fs.mkdir(path.join(root, "backend"));
    await fs.mkdir(path.join(root, "home"));
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PULUMI_BACKEND_URL: `file://${path.join(root, "backend")}`,
      PULUMI_HOME: path.join(root, "home"),
      PULUMI_CONFIG_PASSPHRASE: createHash("sha256").update(root).digest("hex"),
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      NO_COLOR: "1",
      ...options.env,
    };
    const stack = new TestStack(root, programDir, env, options.stackName ?? "test");
    await stack.pulumiOk(["stack", "init", stack.name]);
    for (const [key, value] of Object.entries(options.config ?? {})) {
      if (typeof value === "string") await stack.pulumiOk(["config", "set", key, value]);
      else await stack.pulumiOk(["config", "set", "--secret", key], { input: value.secret });
    }
    return stack;
  }

  /** Runs `pulumi <args>` in the program folder; the caller checks the exit code. */
  pulumi(
    args: string[],
    options: {
      input?: string;
      env?: NodeJS.ProcessEnv;
      timeoutMs?: number;
      killWhen?: (output: string) => boolean;
    } = {},
  ): Promise<CommandResult> {
    return run("pulumi", [...args, "--non-interactive"], {
      cwd: this.programDir,
      env: { ...this.env, ...options.env },
      ...(options.input === undefined ? {} : { input: options.input }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.killWhen === undefined ? {} : { killWhen: options.killWhen }),
    });
  }

  /** Runs `pulumi <args>` and throws with the whole output unless it exits 0. */
  async pulumiOk(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}) {
    const result = await this.pulumi(args, options);
    if (result.code !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.code}:\n${result.output}`);
    }
    return result;
  }

  preview(...extra: string[]) {
    return this.pulumi(["preview", "--diff", ...extra]);
  }
  up(...extra: string[]) {
    return this.pulumi(["up", "--yes", "--skip-preview", ...extra]);
  }
  refresh(...extra: string[]) {
    return this.pulumi(["refresh", "--yes", "--skip-preview", ...extra]);
  }
  destroy(...extra: string[]) {
    return this.pulumi(["destroy", "--yes", "--skip-preview", ...extra]);
  }

  /** Copies a policy pack (a folder under test/engine/policy-packs, or an absolute path) beside the
   * program, links its dependencies, and returns the folder to pass to `--policy-pack`. */
  async policyPack(name: string): Promise<string> {
    const source = path.isAbsolute(name) ? name : path.join(repoRoot, "test/engine/policy-packs", name);
    const target = path.join(this.root, "policy-packs", path.basename(source));
    await fs.cp(source, target, { recursive: true, filter: (src) => !src.includes("node_modules") });
    await linkDependencies(target);
    return target;
  }

  /** The stack's outputs, secrets shown, as `pulumi stack output --json --show-secrets` gives them. */
  async outputs(): Promise<Record<string, unknown>> {
    const result = await this.pulumiOk(["stack", "output", "--json", "--show-secrets"]);
    return JSON.parse(result.stdout) as Record<string, unknown>;
  }

  /** The raw exported state (`pulumi stack export`), secrets left encrypted. */
  async exportState(): Promise<{ text: string; resources: ExportedResource[] }> {
    const result = await this.pulumiOk(["stack", "export"]);
    const parsed = JSON.parse(result.stdout) as { deployment: { resources?: ExportedResource[] } };
    return { text: result.stdout, resources: parsed.deployment.resources ?? [] };
  }

  /** Removes the stack's folder without destroying what it created (for throwaway stores). */
  async discard(): Promise<void> {
    await fs.rm(this.root, { recursive: true, force: true });
  }

  /** Destroys what is left (even after a failed test), removes the stack and the folder. */
  async dispose(): Promise<void> {
    try {
      const destroyed = await this.destroy();
      if (destroyed.code === 0) await this.pulumi(["stack", "rm", "--yes"]);
    } finally {
      await fs.rm(this.root, { recursive: true, force: true });
    }
  }
}

export interface ExportedResource {
  urn: string;
  type: string;
  id?: string;
  inputs?: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}

/** Creates a stack, hands it to `body`, and always disposes of it. */
export async function withStack(options: StackOptions, body: (stack: TestStack) => Promise<void>) {
  const stack = await TestStack.create(options);
  try {
    await body(stack);
  } finally {
    await stack.dispose();
  }
}
