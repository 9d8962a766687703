// Quota ceilings over every store: on every dimension, the quotas below a project or domain ceiling
// never add up to more than it, reservations are admitted only while every ceiling above holds,
// and the effective configuration shows each ceiling with its use.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const dimensions = [
  { field: "cpu", ceiling: "4", quota: "3", over: "2", reserve: { cpu: "3" }, extra: { cpu: "2" } },
  {
    field: "memory",
    ceiling: "8Gi",
    quota: "6Gi",
    over: "3Gi",
    reserve: { memory: "6Gi" },
    extra: { memory: "3Gi" },
  },
  { field: "gpu", ceiling: "2", quota: "2", over: "1", reserve: { gpu: "2" }, extra: { gpu: "1" } },
  {
    field: "storage",
    ceiling: "100Gi",
    quota: "60Gi",
    over: "50Gi",
    reserve: { storage: "60Gi" },
    extra: { storage: "50Gi" },
  },
  {
    field: "maxConcurrentExecutions",
    ceiling: 10,
    quota: 6,
    over: 5,
    reserve: { executions: 6 },
    extra: { executions: 5 },
  },
] as const;

for (const kind of STORES) {
  describe(`api ceilings (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    const version = async (url: string) => String((await server.request("GET", url)).body.version);

    before(async () => {
      server = await startTestServer(kind);
      await seed(server); // web/development, web/production
      await server.request("POST", "/v1/projects", { body: { name: "api" } });
      await server.request("POST", "/v1/projects/api/environments", { body: { domain: "production" } });
    });
    after(async () => server.close());

    for (const level of ["project", "domain"] as const) {
      for (const d of dimensions) {
        it(`holds a ${level} ceiling on ${d.field}: quotas below it, then reservations`, async () => {
          // Under a project ceiling: web's two environments. Under the production domain's: web's
          // and api's production environments.
          const [first, second] =
            level === "project"
              ? ["/v1/projects/web/environments/development", "/v1/projects/web/environments/production"]
              : ["/v1/projects/web/environments/production", "/v1/projects/api/environments/production"];
          const ceilingUrl = level === "project" ? "/v1/projects/web/quota" : "/v1/domains/production/quota";
          const ceiling = await server.request("PUT", ceilingUrl, { body: { [d.field]: d.ceiling } });
          assert.equal(ceiling.status, 200, JSON.stringify(ceiling.body));
          const id = level === "project" ? "project:web" : "domain:production";
          assert.equal(ceiling.body.scope, id);
          try {
            assert.equal(
              (await server.request("PUT", `${first}/quota`, { body: { [d.field]: d.quota } })).status,
              200,
            );
            const over = await server.request("PUT", `${second}/quota`, { body: { [d.field]: d.over } });
            assertProblem(over, 409, "quota_exceeded");
            assert.match(over.body.detail, new RegExp(`ceiling ${id} .*${d.field}`));
            assert.equal(over.body.errors[0].path, d.field);
            // Lowering the ceiling under what is allocated is refused the same way.
            const lowered = await server.request("PUT", ceilingUrl, {
              body: { [d.field]: d.over },
              headers: { "if-match": String(ceiling.body.version) },
            });
            assertProblem(lowered, 409, "quota_exceeded");

            // The second environment has no quota of its own: only the ceiling bounds it.
            const held = await server.request("POST", `${first}/reservations`, { body: d.reserve });
            assert.equal(held.status, 201, JSON.stringify(held.body));
            const refused = await server.request("POST", `${second}/reservations`, { body: d.extra });
            assertProblem(refused, 409, "quota_exceeded");
            assert.match(refused.body.detail, new RegExp(`ceiling ${id} does not admit`));

            const effective = await server.request("GET", `${second}/effective`);
            const shown = effective.body.ceilings.find((c: { scope: string }) => c.scope === id);
            assert.ok(shown, JSON.stringify(effective.body.ceilings));
            const usageKey = d.field === "maxConcurrentExecutions" ? "executions" : d.field;
            assert.equal(String(shown.usage[usageKey]), String(Object.values(d.reserve)[0]));
            assert.equal(String(shown.allocated[d.field]), String(d.quota));

            await server.request("DELETE", `${first}/reservations/${held.body.id}`);
            assert.equal(
              (await server.request("POST", `${second}/reservations`, { body: d.extra })).status,
              201,
            );
          } finally {
            for (const env of [first, second]) {
              for (const r of (await server.request("GET", `${env}/reservations`)).body) {
                await server.request("DELETE", `${env}/reservations/${r.id}`);
              }
              const quota = await server.request("GET", `${env}/quota`);
              if (quota.status === 200) {
                await server.request("DELETE", `${env}/quota`, {
                  headers: { "if-match": String(quota.body.version) },
                });
              }
            }
            await server.request("DELETE", ceilingUrl, {
              headers: { "if-match": await version(ceilingUrl) },
            });
          }
        });
      }
    }

    it("counts what is already reserved when a ceiling is created, and follows releases and transfers", async () => {
      const envs = "/v1/projects/api/environments";
      await server.request("POST", envs, { body: { name: "jobs", domain: "development" } });
      const held = await server.request("POST", `${envs}/jobs/reservations`, {
        body: { cpu: "2", executions: 3 },
      });
      assert.equal(held.status, 201);
      await server.request("PUT", "/v1/projects/api/quota", { body: { cpu: "100" } });
      await server.request("PUT", "/v1/projects/web/quota", { body: { cpu: "100" } });
      const use = async (url: string) => (await server.request("GET", url)).body.usage;
      assert.deepEqual(await use("/v1/projects/api/quota"), {
        cpu: "2",
        memory: "0",
        gpu: "0",
        storage: "0",
        executions: 3,
      });
      await server.request("POST", `${envs}/jobs/reservations`, { body: { cpu: "500m" } });
      assert.equal((await use("/v1/projects/api/quota")).cpu, "2500m");

      // The environment moves to web with its reservations: each project's ceiling follows.
      const moved = await server.request("POST", `${envs}/jobs/transfer`, {
        body: { project: "web" },
        headers: { "if-match": await version(`${envs}/jobs`) },
      });
      assert.equal(moved.status, 200, JSON.stringify(moved.body));
      assert.equal((await use("/v1/projects/api/quota")).cpu, "0");
      assert.deepEqual(await use("/v1/projects/web/quota"), {
        cpu: "2500m",
        memory: "0",
        gpu: "0",
        storage: "0",
        executions: 3,
      });
      const effective = await server.request("GET", "/v1/projects/web/environments/jobs/effective");
      assert.equal(effective.body.ceilings[0].usage.cpu, "2500m");

      for (const r of (await server.request("GET", "/v1/projects/web/environments/jobs/reservations")).body) {
        await server.request("DELETE", `/v1/projects/web/environments/jobs/reservations/${r.id}`);
      }
      assert.deepEqual(await use("/v1/projects/web/quota"), {
        cpu: "0",
        memory: "0",
        gpu: "0",
        storage: "0",
        executions: 0,
      });
      for (const url of ["/v1/projects/api/quota", "/v1/projects/web/quota"]) {
        await server.request("DELETE", url, { headers: { "if-match": await version(url) } });
      }
    });

    it("checks a transfer against the destination project's ceiling", async () => {
      await server.request("POST", "/v1/projects/api/environments", {
        body: { name: "batch", domain: "development" },
      });
      await server.request("PUT", "/v1/projects/api/environments/batch/quota", { body: { cpu: "8" } });
      await server.request("PUT", "/v1/projects/web/quota", { body: { cpu: "4" } });
      const moved = await server.request("POST", "/v1/projects/api/environments/batch/transfer", {
        body: { project: "web" },
        headers: { "if-match": await version("/v1/projects/api/environments/batch") },
      });
      assertProblem(moved, 409, "quota_exceeded");
      assert.equal(
        (await server.request("GET", "/v1/projects/api/environments/batch")).status,
        200,
        "nothing moved",
      );
      await server.request("DELETE", "/v1/projects/web/quota", {
        headers: { "if-match": await version("/v1/projects/web/quota") },
      });
    });

    it("keeps ceilings to org admins, and reads a project's to whoever reads the project", async () => {
      const viewer = await server.request("POST", "/v1/tokens", {
        body: { name: "v", subject: "user:vera" },
      });
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:vera", role: "admin" },
      });
      const token = viewer.body.token;
      assertProblem(
        await server.request("PUT", "/v1/projects/web/quota", { token, body: { cpu: "100" } }),
        403,
        "forbidden",
      );
      await server.request("PUT", "/v1/projects/web/quota", { body: { cpu: "100" } });
      const read = await server.request("GET", "/v1/projects/web/quota", { token });
      assert.equal(read.status, 200);
      assert.deepEqual(Object.keys(read.body.allocated).sort(), [
        "cpu",
        "gpu",
        "maxConcurrentExecutions",
        "memory",
        "storage",
      ]);
      assertProblem(await server.request("GET", "/v1/projects/api/quota", { token }), 404, "not_found");
      assertProblem(
        await server.request("PUT", "/v1/projects/web/quota", { body: { cpu: "1x" } }),
        400,
        "validation_failed",
      );
      assertProblem(
        await server.request("PUT", "/v1/projects/web/quota", { body: { cpu: "200" } }),
        400,
        "validation_failed", // replacing needs If-Match
      );
    });
  });
}
