// A guarded environment with the real CLI: a developer's `pulumi up` opens one change request and
// fails the resource naming it; preview and up again name the same request and open no second one;
// an approver approves it with `tenancy approve`; the developer's next `up` converges, and a
// preview after it shows no change.
import { strict as assert } from "node:assert";
import { assertOk, repoRoot, run, withStack, type TestStack } from "../../scripts/harness";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { createClient } from "../../provider/connect";
import { baseSpec, canary, connect, declare } from "./organisation";

describe("engine: a change to a guarded environment waits for its approver", function () {
  this.timeout(900_000);
  let server: TestServer;
  before(async () => (server = await startTestServer("pglite")));
  after(async () => server.close());

  const tenancyCli = (token: string, ...args: string[]) =>
    run(
      process.execPath,
      ["--import", "tsx", "cli/main.ts", ...args, "--endpoint", server.url, "--token", token],
      { cwd: repoRoot },
    );

  it("turns a developer's up into one change request, applied by `tenancy approve`, then converges", async () => {
    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack: TestStack) => {
        const admin = createClient({ endpoint: server.url, token: adminToken });
        await connect(stack, server, adminToken);
        const spec = baseSpec();
        spec.environments.find((e) => e.key === "web-prod")!.approval = { approvers: ["user:lead"] };
        await declare(stack, spec);
        assertOk(await stack.up(), "up as an org admin");

        const issue = async (name: string) =>
          (await admin.tokens.create({ name, subject: `user:${name}` })).token;
        const dev = await issue("dev");
        const lead = await issue("lead");
        await admin.roleBindings.create("web", { subject: "user:dev", role: "developer" });
        await admin.roleBindings.create("web", { subject: "user:lead", role: "viewer" });
        const useToken = (token: string) =>
          stack.pulumiOk(["config", "set", "--secret", "tenancy:token"], { input: token });

        // The developer raises the production environment's default CPU request.
        await useToken(dev);
        spec.defaults.find((d) => d.key === "web-prod-defaults")!.requests = { cpu: "2" };
        await declare(stack, spec);
        const firstPreview = await stack.preview();
        assertOk(firstPreview, "a preview before any request");
        assert.match(
          firstPreview.output,
          /tenancy: ResourceDefaults [^:]+: environment web\/production needs approval for this change \(1 of user:lead\): `pulumi up` opens a change request/,
        );
        assert.deepEqual(await admin.changeRequests.list(), [], "a preview opens no request");

        const up = await stack.pulumi(["up", "--yes"]);
        assert.notEqual(up.code, 0, up.output);
        const [request] = await admin.changeRequests.list();
        assert.ok(request, "up opened a change request");
        assert.equal(request.author, "user:dev");
        assert.equal(request.status, "pending");
        assert.deepEqual(request.diff, [{ field: "requests", before: { cpu: "1" }, after: { cpu: "2" } }]);
        const message = new RegExp(
          `change request ${request.id} waits for 1 of user:lead; an approver runs \`tenancy approve ${request.id}\``,
        );
        assert.match(up.output, message);
        assert.doesNotMatch(up.output, /\n\s+at .+\(.+:\d+:\d+\)/, "no stack trace");
        const defaultsOf = async () =>
          (await admin.defaults.get({ kind: "environment", project: "web", environment: "production" }))
            .requests;
        assert.deepEqual(await defaultsOf(), { cpu: "1" }, "nothing applied yet");

        // Again before the approval: preview and up name the same request and open no other.
        const preview = await stack.preview();
        assert.notEqual(preview.code, 0);
        assert.match(preview.output, message);
        const again = await stack.pulumi(["up", "--yes"]);
        assert.notEqual(again.code, 0);
        assert.match(again.output, message);
        assert.equal((await admin.changeRequests.list()).length, 1, "no second request");

        // The approver finds it and approves it from the CLI.
        const listed = await tenancyCli(lead, "requests");
        assert.equal(listed.code, 0, listed.output);
        assert.match(listed.stdout, new RegExp(`${request.id}.*web/production.*user:dev`));
        const selfApproval = await tenancyCli(dev, "approve", request.id);
        assert.notEqual(selfApproval.code, 0);
        assert.match(selfApproval.output, /user:dev asked for ChangeRequest .* and may not decide on it/);
        const approved = await tenancyCli(lead, "approve", request.id);
        assert.equal(approved.code, 0, approved.output);
        assert.match(approved.stdout, /applied/);
        assert.deepEqual(await defaultsOf(), { cpu: "2" });

        // The developer's next up converges with no further request, and nothing is left to do.
        assertOk(await stack.pulumi(["up", "--yes"]), "up after the approval");
        assert.equal((await admin.changeRequests.list()).length, 1);
        assert.deepEqual(await defaultsOf(), { cpu: "2" });
        assertOk(await stack.preview("--expect-no-changes"), "preview after the approval");
        await admin.close();
        await useToken(adminToken); // the stack's teardown destroys as an approver
      },
    );
  });
});
