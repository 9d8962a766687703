// Clusters, and placing environments on them: through the domain or the environment itself, only on
// clusters that exist; a cluster something is placed on cannot be deleted; org admins manage them.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

for (const kind of STORES) {
  describe(`api clusters (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let offsetMs = 0;
    before(async () => {
      server = await startTestServer(kind, { clock: { now: () => new Date(Date.now() + offsetMs) } });
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

    it("lists an environment's clusters with what sync last reported from each", async () => {
      const path = "/v1/projects/web/environments/production/clusters";
      // Production's own placement was cleared above: it is placed by its domain's clusters.
      const before = await server.request("GET", path);
      assert.equal(before.status, 200, JSON.stringify(before.body));
      assert.deepEqual(before.body, [
        { cluster: "eu-west", placedBy: "domain" },
        { cluster: "us-east", placedBy: "domain" },
      ]);
      const report = {
        phase: "synced",
        syncedVersion: 3,
        syncedAt: "2026-12-04T10:00:00.000Z",
        usage: { cpu: "500m", memory: "1Gi", gpu: "0", storage: "0", executions: 0 },
      };
      const status = "/v1/clusters/eu-west/environments/web/production/status";
      assert.equal((await server.request("PUT", status, { body: report })).status, 204);
      assert.equal(
        (
          await server.request("PUT", status, {
            body: { ...report, phase: "conflict", message: "Secret db was made by hand" },
          })
        ).status,
        204,
      );
      const after = await server.request("GET", path);
      assert.equal(after.body[0].status.phase, "conflict");
      assert.equal(after.body[0].status.message, "Secret db was made by hand");
      assert.deepEqual(after.body[0].status.usage, report.usage);
      assert.equal(after.body[1].status, undefined, "us-east has not reported");

      const elsewhere = await server.request(
        "PUT",
        "/v1/clusters/eu-west/environments/web/development/status",
        { body: report },
      );
      assertProblem(elsewhere, 409, "conflict");
      assertProblem(
        await server.request("PUT", status, { body: { ...report, phase: "done" } }),
        400,
        "validation_failed",
      );
      const issued = await server.request("POST", "/v1/tokens", {
        body: { name: "stranger", subject: "user:stranger" },
      });
      assertProblem(await server.request("GET", path, { token: issued.body.token }), 404, "not_found");
      assertProblem(
        await server.request("PUT", status, { token: issued.body.token, body: report }),
        403,
        "forbidden",
      );
    });

    it("records a pass's reports and releases in one request, skipping what is not placed there", async () => {
      const report = { phase: "synced", syncedVersion: 4, syncedAt: "2026-12-04T11:00:00.000Z" };
      const batch = await server.request("PUT", "/v1/clusters/eu-west/status", {
        body: {
          environments: [
            { project: "web", environment: "production", ...report },
            { project: "web", environment: "development", ...report, phase: "error", message: "x" },
          ],
        },
      });
      assert.equal(batch.status, 200, JSON.stringify(batch.body));
      assert.equal(batch.body.recorded, 1);
      assert.deepEqual(
        batch.body.skipped.map((s: any) => `${s.project}/${s.environment}`),
        ["web/development"],
      );
      const path = "/v1/projects/web/environments/production/clusters";
      const listed = await server.request("GET", path);
      assert.equal(listed.body[0].status.phase, "synced");
      assert.equal(listed.body[0].status.syncedVersion, 4);

      const released = await server.request("PUT", "/v1/clusters/eu-west/status", {
        body: { released: [{ project: "web", environment: "production" }] },
      });
      assert.equal(released.status, 200, JSON.stringify(released.body));
      assert.equal((await server.request("GET", path)).body[0].status, undefined);

      assertProblem(
        await server.request("PUT", "/v1/clusters/eu-west/status", {
          body: { environments: [{ project: "web", environment: "production", ...report, phase: "done" }] },
        }),
        400,
        "validation_failed",
      );
      assertProblem(
        await server.request("PUT", "/v1/clusters/nowhere/status", { body: { environments: [] } }),
        404,
        "not_found",
      );
    });

    it("gives sync each binding's expiry, and leaves a binding out from the instant it expires", async () => {
      const soon = new Date(Date.now() + 3_600_000).toISOString();
      const later = new Date(Date.now() + 7_200_000).toISOString();
      for (const [subject, expiresAt] of [
        ["user:temp", soon],
        ["user:later", later],
      ]) {
        const created = await server.request("POST", "/v1/projects/web/role-bindings", {
          body: { subject, role: "viewer", environment: "production", expiresAt },
        });
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
      const bindingsOnProduction = async () => {
        const snapshot = await server.request("GET", "/v1/clusters/eu-west/environments");
        assert.equal(snapshot.status, 200, JSON.stringify(snapshot.body));
        const production = snapshot.body.environments.find(
          (e: any) => e.project === "web" && e.environment === "production",
        );
        return production.roleBindings.filter((b: any) => b.expiresAt !== undefined);
      };
      assert.deepEqual(await bindingsOnProduction(), [
        { subject: "user:later", role: "viewer", expiresAt: later },
        { subject: "user:temp", role: "viewer", expiresAt: soon },
      ]);
      offsetMs = 3_600_000;
      try {
        assert.deepEqual(await bindingsOnProduction(), [
          { subject: "user:later", role: "viewer", expiresAt: later },
        ]);
      } finally {
        offsetMs = 0;
      }
    });
  });
}
