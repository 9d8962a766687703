// The export round trip: objects created through the API, `tenancy export`, `pulumi up` adopts
// them all, and `pulumi preview` then shows no changes.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { createClient } from "../../provider/connect";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { repoRoot, run, withStack } from "../../scripts/harness";
import { snapshot } from "./organisation";

describe("engine: tenancy export", function () {
  this.timeout(600_000);
  let server: TestServer;
  before(async () => (server = await startTestServer("pglite")));
  after(async () => server.close());

  it("writes a program that adopts everything the control plane holds, with no changes after", async () => {
    const options = { endpoint: server.url, token: adminToken };
    const api = createClient(options);
    await api.domains.create({ name: "development", tier: "non-production", order: 10 });
    await api.domains.create({ name: "production", tier: "production", order: 30, description: "live" });
    await api.projects.create({ name: "web", displayName: "Web shop", labels: { team: "storefront" } });
    await api.projects.create({ name: "acme" });
    await api.environments.create("web", { domain: "development" });
    await api.environments.create("web", {
      domain: "production",
      protected: true,
      labels: { tier: "gold" },
      approval: { approvers: ["team:storefront-leads", "user:ada"], required: 2 },
    });
    await api.environments.create("acme", { domain: "production", name: "acme-prod" });
    await api.quotas.put("web", "production", { cpu: "16", memory: "32Gi", maxConcurrentExecutions: 10 });
    await api.defaults.put({ kind: "domain", domain: "production" }, { requests: { cpu: "500m" } });
    await api.defaults.put({ kind: "project", project: "web" }, { limits: { memory: "4Gi" } });
    await api.defaults.put(
      { kind: "environment", project: "web", environment: "production" },
      { requests: { memory: "1Gi" } },
    );
    await api.secrets.create("web", "production", { name: "db-password", value: "s3cret-before" });
    await api.secrets.create("acme", "acme-prod", { name: "sftp", reference: "vault://acme/sftp" });
    await api.roleBindings.create("web", { subject: "team:storefront", role: "developer" });
    await api.roleBindings.create("acme", {
      environment: "acme-prod",
      subject: "service:ci",
      role: "contributor",
    });
    await api.roleBindings.create("web", {
      environment: "development",
      subject: "user:contractor",
      role: "viewer",
      expiresAt: "2099-01-01T00:00:00.000Z",
    });
    // An access request's grant lapses on its own: the export leaves it out, and adoption keeps it.
    const requester = await api.tokens.create({ name: "oncall", subject: "user:oncall" });
    const asOncall = createClient({ endpoint: server.url, token: requester.token });
    const asked = await asOncall.accessRequests.create({
      project: "acme",
      environment: "acme-prod",
      role: "viewer",
      duration: "2h",
      reason: "incident 42",
    });
    await asOncall.close();
    await api.accessRequests.approve(asked.id);
    await api.ceilings.put({ kind: "project", project: "web" }, { cpu: "32", memory: "64Gi" });
    await api.ceilings.put(
      { kind: "domain", domain: "production" },
      { gpu: "8", maxConcurrentExecutions: 40 },
    );
    await api.teams.create({
      name: "storefront",
      displayName: "Storefront",
      members: ["user:ada", "user:bob"],
    });
    await api.teams.create({ name: "synced" });
    await api.teams.members.add("synced", "user:carol");
    await api.close();
    const before = await snapshot(options);

    const out = await fs.mkdtemp(path.join(os.tmpdir(), "tenancy-export-"));
    try {
      const exported = await run(
        process.execPath,
        [
          "--import",
          "tsx",
          "cli/main.ts",
          "export",
          "--endpoint",
          server.url,
          "--token",
          adminToken,
          "--out",
          out,
          "--project-name",
          "exported-org",
        ],
        { cwd: repoRoot },
      );
      assert.equal(exported.code, 0, exported.output);
      assert.match(exported.stdout, /set 1 secret value/);
      const manifest = JSON.parse(await fs.readFile(path.join(out, "package.json"), "utf8"));
      const ours = JSON.parse(await fs.readFile(path.join(repoRoot, "package.json"), "utf8"));
      const pulumiSdk = JSON.parse(
        await fs.readFile(path.join(repoRoot, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
      );
      assert.deepEqual(manifest.dependencies, {
        "@pulumi/pulumi": pulumiSdk.version,
        tenancy: ours.version,
      });
      const tsconfig = JSON.parse(await fs.readFile(path.join(out, "tsconfig.json"), "utf8"));
      assert.equal(tsconfig.compilerOptions.strict, true);
      assert.deepEqual(tsconfig.files, ["index.ts"]);
      const readme = await fs.readFile(path.join(out, "README.md"), "utf8");
      assert.match(readme, /pulumi config set --secret secret-web-production-db-password <value>/);
      const program = await fs.readFile(path.join(out, "index.ts"), "utf8");
      assert.match(program, /approval: \{"approvers":\["team:storefront-leads","user:ada"\],"required":2\}/);
      assert.match(program, /expiresAt: "2099-01-01T00:00:00.000Z"/);
      assert.doesNotMatch(program, /user:oncall/, "an access request's grant is no declaration");

      await withStack(
        {
          program: out,
          config: {
            "tenancy:endpoint": server.url,
            "tenancy:token": { secret: adminToken },
            "secret-web-production-db-password": { secret: "s3cret-after" },
          },
        },
        async (stack) => {
          const up = await stack.up();
          assert.equal(up.code, 0, up.output);
          assert.deepEqual(await snapshot(options), before, "adoption changed what exists");
          const revealed = await createClient(options).secrets.reveal("web", "production", "db-password");
          assert.equal(revealed.value, "s3cret-after", "the adopted secret takes the value set in the stack");
          const preview = await stack.preview("--expect-no-changes");
          assert.equal(preview.code, 0, preview.output);
          // Leave the organisation in place: the stack is removed without destroying it.
          await stack.pulumiOk(["stack", "rm", "--yes", "--force"]);
        },
      );
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });
});
