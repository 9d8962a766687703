// Ownership claims and dry runs over HTTP: every object records the resource that manages it; a
// write with a claim the object no longer holds is refused, naming the manager; adoption moves the
// claim; `?dryRun=true` runs every rule and stores nothing.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const urnA = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Project::web-a";
const urnB = "urn:pulumi:staging::org::pulumi-nodejs:dynamic/tenancy:Project::web-b";
const as = (owner: string | undefined, claim: string, extra: Record<string, string> = {}) => ({
  ...(owner ? { "tenancy-owner": owner } : {}),
  "tenancy-claim": claim,
  ...extra,
});

for (const kind of STORES) {
  describe(`api ownership and dry runs (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
    });
    after(async () => server.close());

    it("records the manager, refuses a moved claim naming the new manager, and lets adoption move it", async () => {
      const created = await server.request("POST", "/v1/projects", {
        body: { name: "owned" },
        headers: as(urnA, "claim-1"),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.managedBy, { stack: "prod", urn: urnA });
      assert.deepEqual((await server.request("GET", "/v1/projects/owned")).body.managedBy, {
        stack: "prod",
        urn: urnA,
      });

      const changed = await server.request("PATCH", "/v1/projects/owned", {
        body: { description: "by its owner" },
        headers: { ...as(urnA, "claim-1"), "if-match": "1" },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));

      const adopted = await server.request("PATCH", "/v1/projects/owned", {
        body: {},
        headers: { ...as(urnB, "claim-2", { "tenancy-adopt": "true" }), "if-match": "2" },
      });
      assert.equal(adopted.status, 200, JSON.stringify(adopted.body));
      assert.deepEqual(adopted.body.managedBy, { stack: "staging", urn: urnB });

      for (const [method, extra] of [
        ["PATCH", { body: { description: "stale" } }],
        ["DELETE", {}],
      ] as const) {
        const stale = await server.request(method, "/v1/projects/owned", {
          ...extra,
          headers: { ...as(urnA, "claim-1"), "if-match": "3" },
        });
        assertProblem(stale, 409, "conflict");
        assert.deepEqual(stale.body.managedBy, { stack: "staging", urn: urnB });
        assert.match(stale.body.detail, /managed by urn:pulumi:staging::org::.*web-b \(stack staging\) now/);
      }
      const gone = await server.request("DELETE", "/v1/projects/owned", {
        headers: { ...as(urnB, "claim-2"), "if-match": "3" },
      });
      assert.equal(gone.status, 204, JSON.stringify(gone.body));
    });

    it("marks objects made by hand, and refuses a claim on them", async () => {
      const byHand = await server.request("POST", "/v1/projects", { body: { name: "by-hand" } });
      assert.equal(byHand.body.managedBy, null);
      const claimed = await server.request("DELETE", "/v1/projects/by-hand", {
        headers: { ...as(urnA, "claim-9"), "if-match": "1" },
      });
      assertProblem(claimed, 409, "conflict");
      assert.equal(claimed.body.managedBy, null);
    });

    it("gives a role binding back to the resource that created it, with a new claim", async () => {
      const body = { environment: "production", subject: "team:ops", role: "viewer" };
      const first = await server.request("POST", "/v1/projects/web/role-bindings", {
        body,
        headers: as(urnA, "claim-1"),
      });
      assert.equal(first.status, 201);
      const again = await server.request("POST", "/v1/projects/web/role-bindings", {
        body,
        headers: as(urnA, "claim-2"),
      });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.equal(again.body.id, first.body.id, "the same binding, taken back");
      const other = await server.request("POST", "/v1/projects/web/role-bindings", {
        body,
        headers: as(urnB, "claim-3"),
      });
      assertProblem(other, 409, "conflict");
      const stale = await server.request("DELETE", `/v1/projects/web/role-bindings/${first.body.id}`, {
        headers: as(urnA, "claim-1"),
      });
      assertProblem(stale, 409, "conflict");
      const current = await server.request("DELETE", `/v1/projects/web/role-bindings/${first.body.id}`, {
        headers: as(urnA, "claim-2"),
      });
      assert.equal(current.status, 204);
    });

    it("runs a dry run's rules and stores nothing", async () => {
      const auditBefore = (await server.request("GET", "/v1/audit?limit=1000")).body.length;
      const dry = await server.request("POST", "/v1/projects?dryRun=true", { body: { name: "dry" } });
      assert.equal(dry.status, 201, JSON.stringify(dry.body));
      assert.equal(dry.body.name, "dry");
      assert.equal((await server.request("GET", "/v1/projects/dry")).status, 404);

      const refused = await server.request("POST", "/v1/projects/web/environments?dryRun=true", {
        body: { domain: "nowhere" },
      });
      assertProblem(refused, 400, "validation_failed");
      assert.equal(refused.body.errors[0].path, "domain");
      const tooLong = await server.request("POST", "/v1/projects/web/environments?dryRun=true", {
        body: { domain: "production", name: "a".repeat(41) },
      });
      assertProblem(tooLong, 400, "validation_failed");

      const env = await server.request("GET", "/v1/projects/web/environments/production");
      const patched = await server.request("PATCH", "/v1/projects/web/environments/production?dryRun=true", {
        body: { description: "dry" },
        headers: { "if-match": String(env.body.version) },
      });
      assert.equal(patched.body.description, "dry");
      assert.equal(
        (await server.request("GET", "/v1/projects/web/environments/production")).body.version,
        env.body.version,
      );
      assert.equal(
        (await server.request("GET", "/v1/audit?limit=1000")).body.length,
        auditBefore,
        "nothing audited",
      );

      assertProblem(
        await server.request("POST", "/v1/projects/web/environments/production/secrets/x/reveal?dryRun=true"),
        400,
        "validation_failed",
      );
    });

    it("refuses malformed ownership headers, naming the header", async () => {
      const bad = await server.request("POST", "/v1/projects", {
        body: { name: "bad-owner" },
        headers: { "tenancy-owner": "not-a-urn", "tenancy-adopt": "yes" },
      });
      assertProblem(bad, 400, "validation_failed");
      assert.deepEqual(
        bad.body.errors.map((e: { path: string }) => e.path),
        ["Tenancy-Owner", "Tenancy-Adopt"],
      );
    });
  });
}
