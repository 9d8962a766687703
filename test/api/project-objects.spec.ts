// GET /v1/projects/{p}/objects: a project's objects in one answer, each exactly as its own GET
// answers it, and only what the caller may read.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

for (const kind of STORES) {
  describe(`api project objects (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      const env = "/v1/projects/web/environments";
      const writes: [string, string, object][] = [
        ["PUT", "/v1/projects/web/quota", { cpu: "64" }],
        ["PUT", "/v1/projects/web/defaults", { requests: { cpu: "100m" } }],
        ["PUT", `${env}/production/quota`, { cpu: "8", memory: "16Gi" }],
        ["PUT", `${env}/development/defaults`, { limits: { memory: "1Gi" } }],
        ["POST", `${env}/production/secrets`, { name: "db", value: "never-shown" }],
        ["POST", `${env}/production/secrets`, { name: "api", value: "never-shown" }],
        ["POST", `${env}/production/reservations`, { cpu: "2", memory: "1Gi" }],
        ["POST", "/v1/projects/web/role-bindings", { subject: "team:ops", role: "viewer" }],
        [
          "POST",
          "/v1/projects/web/role-bindings",
          { subject: "user:dev", role: "developer", environment: "development" },
        ],
      ];
      for (const [method, path, body] of writes) {
        const answer = await server.request(method, path, { body });
        assert.ok(answer.status < 300, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      }
    });
    after(async () => server.close());

    it("answers each object as its own GET does", async () => {
      const objects = await server.request("GET", "/v1/projects/web/objects");
      assert.equal(objects.status, 200, JSON.stringify(objects.body));
      const get = async (path: string) => (await server.request("GET", path)).body;
      const env = "/v1/projects/web/environments";
      assert.deepEqual(objects.body.project, await get("/v1/projects/web"));
      assert.deepEqual(objects.body.ceiling, await get("/v1/projects/web/quota"));
      assert.deepEqual(objects.body.defaults, await get("/v1/projects/web/defaults"));
      const [development, production] = objects.body.environments;
      assert.deepEqual(development.environment, await get(`${env}/development`));
      assert.deepEqual(development.defaults, await get(`${env}/development/defaults`));
      assert.equal(development.quota, undefined);
      assert.deepEqual(production.quota, await get(`${env}/production/quota`));
      assert.equal(production.quota.usage.cpu, "2");
      assert.deepEqual(production.secrets, await get(`${env}/production/secrets`));
      assert.deepEqual(
        production.secrets.map((secret: { name: string }) => secret.name),
        ["api", "db"],
      );
      assert.deepEqual(development.secrets, await get(`${env}/development/secrets`));
      assert.deepEqual(objects.body.roleBindings, await get("/v1/projects/web/role-bindings"));
      assert.ok(!JSON.stringify(objects.body).includes("never-shown"));
    });

    it("answers only a caller who may read all of it, never a part short of what it may not read", async () => {
      const tokenOf = async (subject: string) =>
        (await server.request("POST", "/v1/tokens", { body: { name: subject.slice(5), subject } })).body
          .token as string;
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:reader", role: "viewer" },
      });
      const reader = await server.request("GET", "/v1/projects/web/objects", {
        token: await tokenOf("user:reader"),
      });
      assert.equal(reader.status, 200, JSON.stringify(reader.body));
      assert.equal(reader.body.environments.length, 2);
      // Bound to one environment only: the project-wide defaults are not theirs to read, and
      // the answer is refused whole rather than silently short of them (the provider then reads each
      // object on its own, and gets each one's own answer).
      const dev = await tokenOf("user:dev");
      assertProblem(
        await server.request("GET", "/v1/projects/web/defaults", { token: dev }),
        403,
        "forbidden",
      );
      assertProblem(
        await server.request("GET", "/v1/projects/web/objects", { token: dev }),
        403,
        "forbidden",
      );
      const stranger = await tokenOf("user:stranger");
      const expected = (await server.request("GET", "/v1/projects/web", { token: stranger })).status;
      assert.equal(
        (await server.request("GET", "/v1/projects/web/objects", { token: stranger })).status,
        expected,
      );
      assertProblem(await server.request("GET", "/v1/projects/nothing/objects"), 404, "not_found");
    });
  });
}
