#!/usr/bin/env node
// `tenancy`: run the control plane and talk to it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Command, InvalidArgumentError, Option } from "commander";
import { durationSchema } from "../model";
import type { TenancyClient } from "../client";
import { createClient } from "../provider/connect";
import { exportProgram } from "./export";
import { runWithEnvironment } from "./run";
import { get, kinds, matrix, type Kind } from "./inspect";
import { printable, table } from "./tables";

/** The version in a package.json: tenancy's own, found upward from this file (in dist/ or in the
 * sources), or the one of the @pulumi/pulumi this process runs with. */
function versionOf(name: "tenancy" | "@pulumi/pulumi"): string {
  const start = name === "tenancy" ? __dirname : path.dirname(require.resolve("@pulumi/pulumi"));
  for (let dir = start; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const file = path.join(dir, "package.json");
    if (fs.existsSync(file)) {
      const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { name?: string; version: string };
      if (parsed.name === name) return parsed.version;
    }
  }
  throw new Error(`the package.json of ${name} was not found`);
}
const version = () => versionOf("tenancy");
/** An exported program pins the @pulumi/pulumi this tenancy runs with. */
const pulumiVersion = () => versionOf("@pulumi/pulumi");

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError("a whole number of at least 1");
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("a port is 0-65535");
  return n;
}

const program = new Command("tenancy")
  .description("Projects, domains and environments as code: the control plane")
  // `tenancy run … -- cmd --flag`: options after the command are the command's.
  .enablePositionalOptions();

program
  .command("serve")
  .description("run the control plane over HTTP")
  .option("--data <dir>", "PGlite data folder (the embedded store), and the key file's folder", ".tenancy")
  .option("--database-url <url>", "PostgreSQL connection string, instead of --data")
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--port <port>", "port to listen on (0: any free port)", port, 7420)
  .option("--rate-limit <n>", "requests per token per minute", positiveInteger, 6000)
  .option(
    "--auth-failure-limit <n>",
    "failed authentications per client address per minute before the address is refused unheard",
    positiveInteger,
    30,
  )
  .option(
    "--request-timeout-seconds <s>",
    "a request, body included, must arrive within this, else 408",
    positiveInteger,
    30,
  )
  .option(
    "--trusted-proxy <address>",
    "a reverse proxy (address or CIDR range) whose X-Forwarded-For names the client; repeatable",
    (value: string, previous: string[]) => [...previous, value],
    [] as string[],
  )
  .option("--max-access <duration>", "the longest access an access request may ask for (30m, 8h, 2d)", "8h")
  .action(
    async (opts: {
      data: string;
      databaseUrl?: string;
      host: string;
      port: number;
      rateLimit: number;
      authFailureLimit: number;
      requestTimeoutSeconds: number;
      trustedProxy: string[];
      maxAccess: string;
    }) => {
      const maxAccess = durationSchema.safeParse(opts.maxAccess);
      if (!maxAccess.success) {
        throw new Error(`--max-access: ${maxAccess.error.issues[0]?.message ?? "a duration such as 8h"}`);
      }
      // Everything the server writes (the PGlite folder, the key file) is for its own user only.
      process.umask(0o077);
      // Loaded here: every other command talks to a control plane and starts faster without it.
      const { startServer } = await import("../server/server.js");
      const server = await startServer({
        store: opts.databaseUrl
          ? { kind: "postgres", url: opts.databaseUrl }
          : { kind: "pglite", dataDir: opts.data },
        host: opts.host,
        port: opts.port,
        rateLimit: { max: opts.rateLimit, timeWindowMs: 60_000 },
        authFailureLimit: { max: opts.authFailureLimit, windowMs: 60_000 },
        requestTimeoutMs: opts.requestTimeoutSeconds * 1000,
        trustedProxies: opts.trustedProxy,
        maxAccess: opts.maxAccess,
        keyDir: opts.data,
      });
      if (server.bootstrapToken) {
        process.stdout.write(
          `tenancy: bootstrap org admin token (shown once, keep it safe): ${server.bootstrapToken}\n`,
        );
      }
      process.stdout.write(`tenancy: listening on ${server.url}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`tenancy: ${signal}, finishing requests in flight and stopping\n`);
        server.close().then(
          () => process.exit(0),
          (err: Error) => {
            process.stderr.write(`tenancy: stopping failed: ${err.message}\n`);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    },
  );

/** Options every client command takes; unset, TENANCY_ENDPOINT / TENANCY_TOKEN, else ./.tenancy. */
function clientCommand(name: string, description: string) {
  return program
    .command(name)
    .description(description)
    .option(
      "--endpoint <url>",
      "http(s)://… control plane or file://<dir> embedded store (default: TENANCY_ENDPOINT, else file://./.tenancy)",
    )
    .option("--token <token>", "API token (default: TENANCY_TOKEN)");
}

async function withClient(
  opts: { endpoint?: string; token?: string },
  body: (api: TenancyClient) => Promise<void>,
) {
  const api = createClient({
    ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
    ...(opts.token ? { token: opts.token } : {}),
  });
  try {
    await body(api);
  } finally {
    await api.close();
  }
}

clientCommand("get", "list objects of one kind as a table")
  .addArgument(new Command().createArgument("<kind>", kinds.join(", ")).choices(kinds))
  .action((kind: Kind, opts) =>
    withClient(opts, async (api) => void process.stdout.write(await get(api, kind))),
  );

clientCommand("requests", "pending change and access requests the token may see (--all: every status)")
  .option("--all", "requests of every status, not only pending ones")
  .action((opts: { all?: boolean; endpoint?: string; token?: string }) =>
    withClient(opts, async (api) => {
      const filter = opts.all ? {} : { status: "pending" as const };
      const changes = await api.changeRequests.list(filter);
      const access = await api.accessRequests.list(filter);
      const rows = [
        ...changes.map((r) => [
          r.id,
          r.status,
          `${r.project}/${r.environment}`,
          r.author,
          `${r.target.kind} ${r.target.id}: ${r.diff.map((c) => c.field).join(", ")}`,
          `${r.approvals.filter((a) => a.decision === "approve").length}/${r.required} of ${r.approvers.join(", ")}`,
        ]),
        ...access.map((r) => [
          r.id,
          r.status,
          [r.project, r.environment].filter(Boolean).join("/"),
          r.requester,
          `${r.role} for ${r.duration}: ${r.reason}`,
          "project admins",
        ]),
      ];
      process.stdout.write(table(["ID", "STATUS", "WHERE", "BY", "WHAT", "APPROVALS"], rows));
    }),
  );

for (const decision of ["approve", "reject"] as const) {
  clientCommand(decision, `${decision} a change request (cr_…) or an access request (ar_…)`)
    .argument("<id>", "the request's id")
    .option("--comment <text>", "said with the decision")
    .action((id: string, opts: { comment?: string; endpoint?: string; token?: string }) =>
      withClient(opts, async (api) => {
        const requests = id.startsWith("ar_") ? api.accessRequests : api.changeRequests;
        const decided = await requests[decision](id, opts.comment);
        process.stdout.write(`${decided.id}: ${decided.status}\n`);
      }),
    );
}

clientCommand("access", "just-in-time access")
  .command("request")
  .description("ask for a role for a while; a project admin or the environment's approver approves it")
  .requiredOption("--project <name>", "the project")
  .option("--environment <name>", "one environment only")
  .requiredOption("--role <role>", "viewer, contributor, developer or admin")
  .requiredOption("--for <duration>", "how long, e.g. 30m or 2h")
  .requiredOption("--reason <text>", "why, for the approver and the audit log")
  .option("--endpoint <url>", "http(s)://… control plane or file://<dir> embedded store")
  .option("--token <token>", "API token (default: TENANCY_TOKEN)")
  .action(
    (opts: {
      project: string;
      environment?: string;
      role: string;
      for: string;
      reason: string;
      endpoint?: string;
      token?: string;
    }) =>
      withClient(opts, async (api) => {
        const asked = await api.accessRequests.create({
          project: opts.project,
          ...(opts.environment ? { environment: opts.environment } : {}),
          role: opts.role as "viewer",
          duration: opts.for,
          reason: opts.reason,
        });
        process.stdout.write(
          `${asked.id}: ${asked.status}; an approver runs \`tenancy approve ${asked.id}\`\n`,
        );
      }),
  );

clientCommand("matrix", "projects × domains: quota, secrets and roles of each environment").action((opts) =>
  withClient(opts, async (api) => void process.stdout.write(await matrix(api))),
);

clientCommand(
  "export",
  "write a Pulumi program that declares (and adopts) everything the control plane holds",
)
  .requiredOption("--out <dir>", "folder to write the program into")
  .option("--project-name <name>", "the program's Pulumi project name", "tenancy-org")
  .option(
    "--tenancy-version <spec>",
    "how the program depends on tenancy (default: this tenancy's exact version; e.g. file:../tenancy)",
    version(),
  )
  .action((opts) =>
    withClient(opts, async (api) => {
      const result = await exportProgram(api, {
        outDir: opts.out,
        projectName: opts.projectName,
        tenancyVersion: opts.tenancyVersion,
        pulumiVersion: pulumiVersion(),
      });
      process.stdout.write(`tenancy: wrote ${result.files.join(", ")} to ${opts.out}\n`);
      if (result.secrets.length > 0) {
        process.stdout.write(
          `tenancy: set ${result.secrets.length} secret value(s) before pulumi up; see ${opts.out}/README.md\n`,
        );
      }
    }),
  );

const token = program.command("token").description("issue, list and revoke API tokens (org admins)");
token
  .command("create")
  .description("issue a token; its secret is printed once")
  .requiredOption("--name <name>", "what the token is for (recorded as the actor in the audit log)")
  .requiredOption("--subject <subject>", "user:… or service:…")
  .option("--team <team...>", "teams the subject belongs to (team:…)")
  .option("--org-admin", "may do everything, including domains and tokens")
  .option(
    "--cluster <name>",
    "a sync token: reads only what is placed on this cluster, writes only its status",
  )
  .option("--expires <iso-time>", "expiry, e.g. 2027-01-31T00:00:00Z")
  .addOption(new Option("--endpoint <url>", "control plane"))
  .addOption(new Option("--token <token>", "an org admin token"))
  .action((opts) =>
    withClient(opts, async (api) => {
      const issued = await api.tokens.create({
        name: opts.name,
        subject: opts.subject,
        ...(opts.team ? { teams: opts.team } : {}),
        ...(opts.orgAdmin ? { orgAdmin: true } : {}),
        ...(opts.cluster ? { cluster: opts.cluster } : {}),
        ...(opts.expires ? { expiresAt: opts.expires } : {}),
      });
      process.stdout.write(`${printable(issued.id)}\t${printable(issued.token)}\n`);
    }),
  );
token
  .command("list")
  .description("list tokens (never their secrets)")
  .addOption(new Option("--endpoint <url>", "control plane"))
  .addOption(new Option("--token <token>", "an org admin token"))
  .action((opts) => withClient(opts, async (api) => void process.stdout.write(await get(api, "tokens"))));
token
  .command("revoke <id>")
  .description("revoke a token; it stops working on its next request")
  .addOption(new Option("--endpoint <url>", "control plane"))
  .addOption(new Option("--token <token>", "an org admin token"))
  .action((id: string, opts) =>
    withClient(opts, async (api) => {
      await api.tokens.revoke(id);
      process.stdout.write(table(["REVOKED"], [[id]]));
    }),
  );

clientCommand("run", "run a command with an environment's secret values as environment variables")
  .requiredOption("--project <project>", "the environment's project")
  .requiredOption("--environment <environment>", "the environment")
  .argument("<command...>", "the command and its arguments (put -- before them when they start with -)")
  .passThroughOptions()
  .action(async (command: string[], opts) => {
    const api = createClient({
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.token ? { token: opts.token } : {}),
    });
    const ended = await runWithEnvironment(api, opts.project, opts.environment, command);
    if ("code" in ended) process.exit(ended.code);
    // Ended by a signal: end the same way, so whoever started this sees what the child got.
    process.kill(process.pid, ended.signal);
    process.exit(128 + os.constants.signals[ended.signal]);
  });

clientCommand("sync", "keep a Kubernetes cluster in step: a namespace per environment placed on it")
  .requiredOption("--cluster <name>", "the cluster, as the control plane names it")
  .option("--kubeconfig <file>", "kubeconfig (default: KUBECONFIG, else ~/.kube/config, else in-cluster)")
  .option("--context <name>", "the kubeconfig's context to use")
  .option("--once", "make one pass and exit: 0 synced, 1 a conflict or error, 2 unreachable")
  .option("--dry-run", "with --once: print what would be created, changed and deleted; write nothing")
  .option("--namespace-template <template>", "each environment's namespace", "{project}-{environment}")
  .option("--gpu-resource <name>", "the extended resource a quota's gpu limits", "nvidia.com/gpu")
  .option("--user-prefix <prefix>", "put before user: and service: names in RoleBindings", "")
  .option("--group-prefix <prefix>", "put before team: names in RoleBindings", "")
  .option("--secret-store <name>", "ClusterSecretStore for bindings with a reference (ExternalSecret)")
  .option("--lease-namespace <namespace>", "where the leader election's Lease lives", "tenancy-system")
  .option("--delete-namespaces", "delete the namespace of an environment no longer placed here")
  .option("--resync <seconds>", "seconds between full passes", positiveInteger, 600)
  .action(async (opts) => {
    const api = createClient({
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      ...(opts.token ? { token: opts.token } : {}),
    });
    try {
      // Loaded here: the Kubernetes client is sync's alone.
      const { runSync } = await import("./sync.js");
      process.exitCode = await runSync(api, opts);
    } finally {
      await api.close();
    }
  });

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`tenancy: ${printable(err.message)}\n`);
  process.exit(1);
});
