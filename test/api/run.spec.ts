// `tenancy run`: a child process gets the environment's secret values as variables and nothing
// else does; its exit status and the signals sent to tenancy pass through; each value revealed is
// audited, and a caller that may not reveal gets nothing started.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { run } from "../../scripts/harness";
import { seed } from "./seed";
import { STORES, adminToken, startTestServer, type TestServer } from "./server";

const repoRoot = path.resolve(__dirname, "../..");
const secretValue = "s3cret-db-password-5e1a";

/** `tenancy run` against the server, as `token`, running `command`. */
function tenancyRun(server: TestServer, token: string, environment: string, command: string[]) {
  return [
    "--import",
    "tsx",
    "cli/main.ts",
    "run",
    "--endpoint",
    server.url,
    "--token",
    token,
    "--project",
    "web",
    "--environment",
    environment,
    "--",
    ...command,
  ];
}

describe(`tenancy run (${STORES[0]})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer(STORES[0]!);
    await seed(server);
    const secrets = "/v1/projects/web/environments/production/secrets";
    assert.equal(
      (await server.request("POST", secrets, { body: { name: "db-password", value: secretValue } })).status,
      201,
    );
    assert.equal(
      (await server.request("POST", secrets, { body: { name: "api-key", reference: "vault://web/api-key" } }))
        .status,
      201,
    );
  });
  after(async () => server.close());

  it("gives the child the values and the environment's names, prints none of them, and passes its status", async () => {
    const script =
      "process.stdout.write(JSON.stringify({ db: process.env.DB_PASSWORD, key: process.env.API_KEY ?? null, " +
      "project: process.env.TENANCY_PROJECT, environment: process.env.TENANCY_ENVIRONMENT, domain: process.env.TENANCY_DOMAIN })); process.exit(7)";
    const result = await run(
      process.execPath,
      tenancyRun(server, adminToken, "production", [process.execPath, "-e", script]),
      {
        cwd: repoRoot,
      },
    );
    assert.equal(result.code, 7, result.output);
    assert.deepEqual(JSON.parse(result.stdout), {
      db: secretValue,
      key: null,
      project: "web",
      environment: "production",
      domain: "production",
    });
    // The value reached the child only: tenancy itself wrote the reference's name, not a value.
    assert.ok(!result.stderr.includes(secretValue), result.stderr);
    assert.match(result.stderr, /api-key is a reference to vault:\/\/web\/api-key/);
    const audit = await server.request("GET", "/v1/audit?action=secret.reveal");
    assert.ok(
      audit.body.some((e: { targetId: string }) => e.targetId === "web/production/db-password"),
      "the reveal is audited",
    );
  });

  it("passes a signal to the child and ends as the child did", async () => {
    const script = "process.stdout.write('ready\\n'); setInterval(() => {}, 1000);";
    const child = spawn(
      process.execPath,
      tenancyRun(server, adminToken, "production", [process.execPath, "-e", script]),
      {
        cwd: repoRoot,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (data: Buffer) => data.toString().includes("ready") && resolve());
      child.once("exit", (code) => reject(new Error(`exited early: ${code}`)));
    });
    child.kill("SIGTERM");
    const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once("exit", (code, signal) => resolve({ code, signal })),
    );
    assert.deepEqual(ended, { code: null, signal: "SIGTERM" });
  });

  it("starts nothing for a caller that may not reveal the environment's values", async () => {
    const bound = await server.request("POST", "/v1/projects/web/role-bindings", {
      body: { subject: "user:vic", role: "viewer" },
    });
    assert.equal(bound.status, 201);
    const issued = await server.request("POST", "/v1/tokens", { body: { name: "vic", subject: "user:vic" } });
    const result = await run(
      process.execPath,
      tenancyRun(server, issued.body.token, "production", [process.execPath, "-e", "console.log('started')"]),
      { cwd: repoRoot },
    );
    assert.notEqual(result.code, 0);
    assert.ok(!result.stdout.includes("started"), result.output);
    assert.match(result.stderr, /developer/);
  });
});
