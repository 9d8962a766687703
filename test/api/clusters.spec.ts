// Clusters, and placing environments on them: through the domain or the environment itself, only on
// clusters that exist; a cluster something is placed on cannot be deleted; org admins manage them.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

for (const kind of STORES) {
  describe(`api clusters (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
    });
    after(async () => server.close());

    it("places environments through their domain or their own clusters, on clusters that exist", async () => {
      const created = await server.request("POST", "/v1/clusters", {
        body: { name: "eu-west", labels: { region: "eu-west-1" } },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(
        { name: created.body.name, labels: created.body.labels, version: created.body.version },
        { name: "eu-west", labels: { region: "eu-west-1" }, version: 1 },
      );
      assert.equal((await server.request("POST", "/v1/clusters", { body: { name: "us-east" } })).status, 201);

      const domain = await server.request("PATCH", "/v1/domains/production", {
        body: { clusters: ["eu-west", "us-east"] },
        headers: { "if-match": "1" },
      });
      assert.equal(domain.status, 200, JSON.stringify(domain.body));
      assert.deepEqual(domain.body.clusters, ["eu-west", "us-east"]);

      const own = await server.request("PATCH", "/v1/projects/web/environments/development", {
        body: { clusters: [] },
        headers: { "if-match": "1" },
      });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(own.body.clusters, []);

      const unknown = await server.request("POST", "/v1/projects/web/environments", {
        body: { domain: "staging", clusters: ["mars"] },
      });
      assertProblem(unknown, 400, "validation_failed");
      assert.deepEqual(unknown.body.errors, [{ path: "clusters", message: "no cluster mars" }]);
      assertProblem(
        await server.request("POST", "/v1/clusters", { body: { name: "eu-west" } }),
        409,
        "conflict",
      );
      assertProblem(
        await server.request("POST", "/v1/domains", {
          body: { name: "qa", tier: "non-production", clusters: ["eu-west", "eu-west"] },
        }),
        400,
        "validation_failed",
      );
    });

    it("refuses to delete a cluster anything is placed on, naming it", async () => {
      await server.request("POST", "/v1/clusters", { body: { name: "ap-south" } });
      const placed = await server.request("PATCH", "/v1/projects/web/environments/production", {
        body: { clusters: ["ap-south"] },
        headers: {
          "if-match": String(
            (await server.request("GET", "/v1/projects/web/environments/production")).body.version,
          ),
        },
      });
      assert.equal(placed.status, 200, JSON.stringify(placed.body));
      const refused = await server.request("DELETE", "/v1/clusters/ap-south", {
        headers: { "if-match": "1" },
      });
      assertProblem(refused, 409, "conflict");
      assert.match(refused.body.detail, /environment web\/production/);
      const moved = await server.request("PATCH", "/v1/projects/web/environments/production", {
        body: { clusters: null },
        headers: { "if-match": String(placed.body.version) },
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.clusters, undefined, "back to its domain's placement");
      assert.equal(
        (await server.request("DELETE", "/v1/clusters/ap-south", { headers: { "if-match": "1" } })).status,
        204,
      );
    });

    it("lets every token read clusters and only org admins change them", async () => {
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:dev", role: "admin" },
      });
      const issued = await server.request("POST", "/v1/tokens", {
        body: { name: "dev", subject: "user:dev" },
      });
      const token = issued.body.token as string;
      const listed = await server.request("GET", "/v1/clusters", { token });
      assert.equal(listed.status, 200);
      assert.ok(listed.body.some((c: { name: string }) => c.name === "eu-west"));
      assertProblem(
        await server.request("POST", "/v1/clusters", { token, body: { name: "rogue" } }),
        403,
        "forbidden",
      );
      const feed = await server.request("GET", "/v1/changes?after=0");
      assert.ok(
        feed.body.changes.some(
          (c: { kind: string; id: string }) => c.kind === "Cluster" && c.id === "eu-west",
        ),
        "clusters are in the change feed",
      );
    });
  });
}
