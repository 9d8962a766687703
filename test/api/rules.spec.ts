// Every rule of the control plane, over HTTP, on every store.
import { strict as assert } from "node:assert";
import { sql } from "kysely";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const env = (p: string, e: string) => `/v1/projects/${p}/environments/${e}`;

for (const kind of STORES) {
  describe(`api rules (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;

    beforeEach(async () => {
      server = await startTestServer(kind);
      await seed(server);
    });
    afterEach(async () => server.close());

    it("refuses bad names with the field that is wrong", async () => {
      const bad = await server.request("POST", "/v1/projects", { body: { name: "Web_App" } });
      assertProblem(bad, 400, "validation_failed");
      assert.deepEqual(
        bad.body.errors.map((e: { path: string }) => e.path),
        ["name"],
      );
      const long = "a".repeat(30);
      await server.request("POST", "/v1/projects", { body: { name: long } });
      const ns = await server.request("POST", `/v1/projects/${long}/environments`, {
        body: { domain: "production", name: "b".repeat(34) },
      });
      assertProblem(ns, 400, "validation_failed");
      assert.match(ns.body.detail, /DNS label/);
    });

    it("requires references to exist and refuses deleting what is still referenced", async () => {
      const noDomain = await server.request("POST", "/v1/projects/web/environments", {
        body: { domain: "qa" },
      });
      assertProblem(noDomain, 400, "validation_failed");
      assert.equal(noDomain.body.errors[0].path, "domain");
      assertProblem(
        await server.request("POST", "/v1/projects/nope/environments", { body: { domain: "staging" } }),
        404,
        "not_found",
      );
      const project = await server.request("GET", "/v1/projects/web");
      assertProblem(
        await server.request("DELETE", "/v1/projects/web", {
          headers: { "if-match": String(project.body.version) },
        }),
        409,
        "conflict",
      );
      const domain = await server.request("GET", "/v1/domains/production");
      const inUse = await server.request("DELETE", "/v1/domains/production", {
        headers: { "if-match": String(domain.body.version) },
      });
      assertProblem(inUse, 409, "conflict");
      assert.match(inUse.body.detail, /web\/production/);
      const staging = await server.request("GET", "/v1/domains/staging");
      const unused = await server.request("DELETE", "/v1/domains/staging", {
        headers: { "if-match": String(staging.body.version) },
      });
      assert.equal(unused.status, 204);
    });

    it("guards updates and deletes with the version (If-Match)", async () => {
      const path = env("web", "development");
      assertProblem(
        await server.request("PATCH", path, { body: { description: "x" } }),
        400,
        "validation_failed",
      );
      const first = await server.request("PATCH", path, {
        body: { description: "first" },
        headers: { "if-match": "1" },
      });
      assert.equal(first.status, 200);
      assert.equal(first.body.version, 2);
      assert.equal(first.headers.get("etag"), '"2"');
      const stale = await server.request("PATCH", path, {
        body: { description: "stale" },
        headers: { "if-match": "1" },
      });
      assertProblem(stale, 412, "version_mismatch");
      assert.equal((await server.request("GET", path)).body.description, "first");
    });

    it("refuses deleting or transferring a protected environment until protected is unset", async () => {
      const path = env("web", "production");
      await server.request("PATCH", path, { body: { protected: true }, headers: { "if-match": "1" } });
      assertProblem(await server.request("DELETE", path, { headers: { "if-match": "2" } }), 409, "protected");
      await server.request("POST", "/v1/projects", { body: { name: "api" } });
      await server.request("POST", "/v1/projects/api/environments", { body: { domain: "development" } });
      assertProblem(
        await server.request("POST", `${path}/transfer`, {
          body: { project: "api" },
          headers: { "if-match": "2" },
        }),
        409,
        "protected",
      );
      await server.request("PATCH", path, { body: { protected: false }, headers: { "if-match": "2" } });
      assert.equal((await server.request("DELETE", path, { headers: { "if-match": "3" } })).status, 204);
    });

    it("refuses new children in an archived project", async () => {
      await server.request("PATCH", "/v1/projects/web", {
        body: { archived: true },
        headers: { "if-match": "1" },
      });
      assertProblem(
        await server.request("POST", "/v1/projects/web/environments", { body: { domain: "staging" } }),
        409,
        "archived",
      );
      assertProblem(
        await server.request("POST", `${env("web", "development")}/secrets`, {
          body: { name: "k", reference: "vault://a" },
        }),
        409,
        "archived",
      );
      assertProblem(
        await server.request("POST", "/v1/projects/web/role-bindings", {
          body: { subject: "team:x", role: "viewer" },
        }),
        409,
        "archived",
      );
      assertProblem(
        await server.request("POST", `${env("web", "development")}/reservations`, {
          body: { executions: 1 },
        }),
        409,
        "archived",
      );
    });

    it("transfers an environment with its quota, defaults, secrets, bindings and reservations, atomically", async () => {
      const from = env("web", "development");
      await server.request("PUT", `${from}/quota`, { body: { cpu: 4, maxConcurrentExecutions: 5 } });
      await server.request("PUT", `${from}/defaults`, { body: { requests: { cpu: "500m" } } });
      await server.request("POST", `${from}/secrets`, { body: { name: "token", value: "v1" } });
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { environment: "development", subject: "team:dev", role: "developer" },
      });
      await server.request("POST", `${from}/reservations`, { body: { executions: 2 } });
      await server.request("POST", "/v1/projects", { body: { name: "api" } });

      const moved = await server.request("POST", `${from}/transfer`, {
        body: { project: "api" },
        headers: { "if-match": "1" },
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal(moved.body.project, "api");
      const to = env("api", "development");
      assert.equal((await server.request("GET", `${to}/quota`)).body.usage.executions, 2);
      assert.equal((await server.request("GET", `${to}/defaults`)).body.requests.cpu, "500m");
      const revealed = await server.request("POST", `${to}/secrets/token/reveal`);
      assert.equal(revealed.body.value, "v1", "the ciphertext must still decrypt after the move");
      const bindings = await server.request("GET", "/v1/projects/api/role-bindings");
      assert.deepEqual(
        bindings.body.map((b: { subject: string; environment: string }) => [b.subject, b.environment]),
        [["team:dev", "development"]],
      );
      assertProblem(await server.request("GET", from), 404, "not_found");

      // The source project must keep one environment.
      const last = await server.request("POST", `${env("web", "production")}/transfer`, {
        body: { project: "api" },
        headers: { "if-match": "1" },
      });
      assertProblem(last, 409, "conflict");
      assert.match(last.body.detail, /last of project web/);
    });

    it("replays a create retried with the same Idempotency-Key, and refuses the key for another request", async () => {
      const headers = { "idempotency-key": "create-api-1" };
      const first = await server.request("POST", "/v1/projects", { body: { name: "api" }, headers });
      const again = await server.request("POST", "/v1/projects", { body: { name: "api" }, headers });
      assert.equal(first.status, 201);
      assert.equal(again.status, 201);
      assert.deepEqual(again.body, first.body);
      const different = await server.request("POST", "/v1/projects", { body: { name: "other" }, headers });
      assertProblem(different, 409, "conflict");
      const withoutKey = await server.request("POST", "/v1/projects", { body: { name: "api" } });
      assertProblem(withoutKey, 409, "conflict");
      assert.equal(
        (await server.request("GET", "/v1/projects")).body.filter((p: { name: string }) => p.name === "api")
          .length,
        1,
      );
    });

    it("forgets an Idempotency-Key after 24 hours: the same key is then a new request", async () => {
      const body = { name: "qa", tier: "non-production" };
      const headers = { "idempotency-key": "qa-once" };
      assert.equal((await server.request("POST", "/v1/domains", { body, headers })).status, 201);
      const first = await server.request("GET", "/v1/domains/qa");
      await server.request("DELETE", "/v1/domains/qa", {
        headers: { "if-match": String(first.body.version) },
      });
      const replayed = await server.request("POST", "/v1/domains", { body, headers });
      assert.equal(replayed.status, 201, "a replay within 24 hours answers the first result");
      assert.equal((await server.request("GET", "/v1/domains/qa")).status, 404, "and creates nothing");

      await sql`update idempotency_keys set created_at = now() - interval '25 hours' where key = 'qa-once'`.execute(
        server.running.store.db,
      );
      const fresh = await server.request("POST", "/v1/domains", { body, headers });
      assert.equal(fresh.status, 201, JSON.stringify(fresh.body));
      assert.equal(
        (await server.request("GET", "/v1/domains/qa")).status,
        200,
        "an expired key creates again",
      );
    });

    it("admits reservations against the quota, allows lowering it below usage, and then blocks", async () => {
      const path = env("web", "production");
      await server.request("PUT", `${path}/quota`, {
        body: { cpu: "2", memory: "4Gi", maxConcurrentExecutions: 3 },
      });
      const a = await server.request("POST", `${path}/reservations`, {
        body: { cpu: "1500m", memory: "2Gi", executions: 1 },
      });
      assert.equal(a.status, 201);
      assertProblem(
        await server.request("POST", `${path}/reservations`, { body: { cpu: "1" } }),
        409,
        "quota_exceeded",
      );
      assert.equal(
        (await server.request("POST", `${path}/reservations`, { body: { cpu: "500m" } })).status,
        201,
      );
      const lowered = await server.request("PUT", `${path}/quota`, {
        body: { cpu: "1" },
        headers: { "if-match": "1" },
      });
      assert.equal(lowered.status, 200, JSON.stringify(lowered.body));
      assert.equal((await server.request("GET", `${path}/quota`)).body.usage.cpu, "2");
      assertProblem(
        await server.request("POST", `${path}/reservations`, { body: { cpu: "100m" } }),
        409,
        "quota_exceeded",
      );
      assert.equal((await server.request("DELETE", `${path}/reservations/${a.body.id}`)).status, 204);
      assert.equal((await server.request("GET", `${path}/quota`)).body.usage.cpu, "500m");
      assert.equal(
        (await server.request("POST", `${path}/reservations`, { body: { cpu: "500m" } })).status,
        201,
      );
    });

    it("judges reservations that arrive together one after another, a refused one counting for none", async () => {
      const path = env("web", "production");
      const reserveAtOnce = (count: number, headers: Record<string, string> = {}) =>
        Promise.all(
          Array.from({ length: count }, () =>
            server.request("POST", `${path}/reservations`, { body: { cpu: "1" }, headers }),
          ),
        );
      const statuses = (answers: { status: number }[]) => answers.map((a) => a.status).sort();
      const usage = async () => (await server.request("GET", `${path}/quota`)).body.usage.cpu;

      // A project ceiling of 8 and no quota: 8 of 12 admitted, the others refused by the ceiling.
      const ceiling = await server.request("PUT", "/v1/projects/web/quota", { body: { cpu: "8" } });
      assert.equal(ceiling.status, 200, JSON.stringify(ceiling.body));
      const underCeiling = await reserveAtOnce(12);
      assert.deepEqual(statuses(underCeiling), [...Array(8).fill(201), ...Array(4).fill(409)]);
      for (const refused of underCeiling.filter((a) => a.status === 409)) {
        assertProblem(refused, 409, "quota_exceeded");
        assert.match(refused.body.detail, /ceiling project:web does not admit this reservation \(cpu/);
      }
      assert.equal((await server.request("GET", `${path}/effective`)).body.ceilings[0].usage.cpu, "8");
      const removed = await server.request("DELETE", "/v1/projects/web/quota", {
        headers: { "if-match": String(ceiling.body.version) },
      });
      assert.equal(removed.status, 204, JSON.stringify(removed.body));

      // A quota of 10: four requests with one Idempotency-Key create one reservation, and answer it.
      assert.equal((await server.request("PUT", `${path}/quota`, { body: { cpu: "10" } })).status, 200);
      const keyed = await reserveAtOnce(4, { "idempotency-key": "together-1" });
      assert.deepEqual(statuses(keyed), [201, 201, 201, 201], JSON.stringify(keyed.map((a) => a.body)));
      assert.equal(new Set(keyed.map((a) => a.body.id)).size, 1);
      assert.equal(await usage(), "9");

      // One left under the quota: 1 of 5 admitted, the others refused by the quota with its totals.
      const underQuota = await reserveAtOnce(5);
      assert.deepEqual(statuses(underQuota), [201, 409, 409, 409, 409]);
      for (const refused of underQuota.filter((a) => a.status === 409)) {
        assertProblem(refused, 409, "quota_exceeded");
        assert.match(refused.body.detail, /quota of environment web\/production does not admit .*cpu/);
      }
      assert.equal(await usage(), "10");

      // Every admitted reservation is there, with its own audit entry.
      const reservations = (await server.request("GET", `${path}/reservations`)).body;
      assert.equal(reservations.length, 10);
      const audit = await server.request("GET", "/v1/audit?action=reservation.create&limit=100");
      assert.deepEqual(
        audit.body.map((e: { targetId: string }) => e.targetId).sort(),
        reservations.map((r: { id: string }) => r.id).sort(),
      );
    });

    it("merges defaults environment over project over domain and names the scope of each field", async () => {
      await server.request("PUT", "/v1/domains/production/defaults", {
        body: { requests: { cpu: "250m", memory: "256Mi" }, limits: { cpu: "1" } },
      });
      await server.request("PUT", "/v1/projects/web/defaults", { body: { requests: { memory: "512Mi" } } });
      await server.request("PUT", `${env("web", "production")}/defaults`, { body: { limits: { cpu: "2" } } });
      await server.request("PUT", `${env("web", "production")}/quota`, { body: { cpu: 8 } });
      await server.request("POST", `${env("web", "production")}/secrets`, {
        body: { name: "db", value: "s3cr3t" },
      });
      const effective = await server.request("GET", `${env("web", "production")}/effective`);
      assert.equal(effective.status, 200);
      assert.deepEqual(effective.body.defaults, {
        requests: {
          cpu: { value: "250m", source: "domain:production" },
          memory: { value: "512Mi", source: "project:web" },
        },
        limits: { cpu: { value: "2", source: "project:web/environment:production" } },
      });
      await server.request("POST", `${env("web", "production")}/reservations`, {
        body: { cpu: "1500m", executions: 2 },
      });
      // The quota and usage read with the rest in one statement equal what the quota route says.
      const quota = await server.request("GET", `${env("web", "production")}/quota`);
      const again = await server.request("GET", `${env("web", "production")}/effective`);
      assert.deepEqual(again.body.quota, quota.body);
      assert.equal(again.body.quota.usage.cpu, "1500m");
      assert.equal(again.body.quota.usage.executions, 2);
      assert.equal(effective.body.quota.cpu, "8");
      assert.deepEqual(effective.body.secrets, [{ name: "db", kind: "value", valueVersion: 1 }]);
      assert.ok(!JSON.stringify(effective.body).includes("s3cr3t"));
      assertProblem(await server.request("GET", `${env("web", "staging")}/effective`), 404, "not_found");
      const noProject = await server.request("GET", `${env("nope", "production")}/effective`);
      assertProblem(noProject, 404, "not_found");
      assert.match(noProject.body.detail, /project nope/i);
    });

    it("refuses defaults above the environment's quota", async () => {
      const path = env("web", "production");
      await server.request("PUT", `${path}/quota`, { body: { cpu: "2", memory: "1Gi" } });
      const tooBig = await server.request("PUT", `${path}/defaults`, { body: { limits: { cpu: "4" } } });
      assertProblem(tooBig, 400, "validation_failed");
      assert.equal(tooBig.body.errors[0].path, "limits.cpu");
      const viaDomain = await server.request("PUT", "/v1/domains/production/defaults", {
        body: { requests: { memory: "2Gi" } },
      });
      assertProblem(viaDomain, 400, "validation_failed");
      assert.match(viaDomain.body.detail, /domain:production/);
      assertProblem(await server.request("GET", `${path}/defaults`), 404, "not_found");
    });

    it("normalises quantities so equal amounts read back equal", async () => {
      const quota = await server.request("PUT", `${env("web", "production")}/quota`, {
        body: { cpu: "1500m", memory: "2048Mi", storage: "1.5Ti", gpu: 1 },
      });
      assert.equal(quota.status, 200, JSON.stringify(quota.body));
      assert.deepEqual(
        [quota.body.cpu, quota.body.memory, quota.body.storage, quota.body.gpu],
        ["1500m", "2Gi", "1536Gi", "1"],
      );
    });

    it("raises valueVersion with each new secret value and never returns the value outside reveal", async () => {
      const path = `${env("web", "production")}/secrets`;
      const created = await server.request("POST", path, { body: { name: "api-key", value: "first" } });
      assert.equal(created.body.valueVersion, 1);
      assert.equal(created.body.value, undefined);
      const rotated = await server.request("PATCH", `${path}/api-key`, {
        body: { value: "second" },
        headers: { "if-match": "1" },
      });
      assert.equal(rotated.body.valueVersion, 2);
      const described = await server.request("PATCH", `${path}/api-key`, {
        body: { description: "d" },
        headers: { "if-match": "2" },
      });
      assert.equal(described.body.valueVersion, 2);
      assert.equal((await server.request("POST", `${path}/api-key/reveal`)).body.value, "second");
      assertProblem(
        await server.request("POST", path, { body: { name: "both", value: "x", reference: "vault://x" } }),
        400,
        "validation_failed",
      );
    });

    it("keeps an audit log of every mutation with actor, before and after", async () => {
      await server.request("PATCH", "/v1/projects/web", {
        body: { description: "audited" },
        headers: { "if-match": "1" },
      });
      const entries = await server.request("GET", "/v1/audit?targetKind=Project&targetId=web");
      assert.equal(entries.status, 200);
      const [update, create] = entries.body;
      assert.equal(update.action, "project.update");
      assert.equal(update.actor, "bootstrap");
      assert.equal(update.before.description, undefined);
      assert.equal(update.after.description, "audited");
      assert.equal(create.action, "project.create");
    });

    it("answers unknown routes, bad JSON and bad If-Match with problems, never a 500", async () => {
      assertProblem(await server.request("GET", "/v1/nothing"), 404, "not_found");
      const badJson = await fetch(`${server.url}/v1/projects`, {
        method: "POST",
        headers: {
          authorization: "Bearer tny_test-bootstrap-admin-token-0123456789",
          "content-type": "application/json",
        },
        body: "{not json",
      });
      assert.equal(badJson.status, 400);
      assert.equal(((await badJson.json()) as { code: string }).code, "validation_failed");
      assertProblem(
        await server.request("PATCH", "/v1/projects/web", { body: {}, headers: { "if-match": "yesterday" } }),
        400,
        "validation_failed",
      );
      const huge = await server.request("POST", "/v1/projects", {
        body: { name: "big", description: "x".repeat(300_000) },
      });
      assertProblem(huge, 413, "payload_too_large");
    });

    it("serves its OpenAPI document and a health check without a token", async () => {
      const health = await server.request("GET", "/healthz", { token: null });
      assert.deepEqual(health.body, { status: "ok" });
      const doc = await server.request("GET", "/openapi.json", { token: null });
      assert.equal(doc.body.openapi, "3.1.0");
      assert.ok(doc.body.paths["/v1/projects/{project}/environments/{environment}/quota"].put);
      assertProblem(await server.request("GET", "/v1/projects", { token: null }), 401, "unauthorized");
    });
  });
}
