// GET /v1/objects?stack=: a stack's objects in one answer: each project in which the stack manages
// an object, whole and exactly as GET /v1/projects/{p}/objects answers it, and every domain; never
// a project of another stack, and only what the caller may read.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const stack = "urn:pulumi:prod::org";
const owner = (prefix: string, kind: string, name: string) => ({
  "tenancy-owner": `${prefix}::pulumi-nodejs:dynamic/tenancy:${kind}::${name}`,
});

for (const kind of STORES) {
  describe(`api stack objects (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    const write = async (
      method: string,
      path: string,
      body: object,
      headers: Record<string, string> = {},
    ) => {
      const answer = await server.request(method, path, { body, headers });
      assert.ok(answer.status < 300, `${method} ${path}: ${JSON.stringify(answer.body)}`);
    };
    const tokenOf = async (subject: string) =>
      (await server.request("POST", "/v1/tokens", { body: { name: subject.slice(5), subject } })).body
        .token as string;

    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      // alpha: the stack's own project; beta: made by hand, with a quota the stack manages; the
      // others belong to stacks whose URNs only look alike.
      await write("POST", "/v1/projects", { name: "alpha" }, owner(stack, "Project", "alpha"));
      await write("POST", "/v1/projects/alpha/environments", { domain: "production" });
      await write("POST", "/v1/projects", { name: "beta" });
      await write("POST", "/v1/projects/beta/environments", { domain: "development" });
      await write(
        "PUT",
        "/v1/projects/beta/environments/development/quota",
        { cpu: "4" },
        owner(stack, "Quota", "beta-development"),
      );
      await write(
        "POST",
        "/v1/projects",
        { name: "gamma" },
        owner("urn:pulumi:prod::org2", "Project", "gamma"),
      );
      await write(
        "POST",
        "/v1/projects",
        { name: "delta" },
        owner("urn:pulumi:prod2::org", "Project", "delta"),
      );
      await write("POST", "/v1/projects/alpha/environments/production/secrets", {
        name: "db",
        value: "never-shown",
      });
    });
    after(async () => server.close());

    it("answers the projects the stack manages objects in, each as its own objects answer, and every domain", async () => {
      const answer = await server.request("GET", `/v1/objects?stack=${encodeURIComponent(stack)}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(
        answer.body.projects.map((p: { project: { name: string } }) => p.project.name),
        ["alpha", "beta"],
      );
      for (const objects of answer.body.projects) {
        const own = await server.request("GET", `/v1/projects/${objects.project.name}/objects`);
        assert.deepEqual(objects, own.body);
      }
      assert.equal(answer.body.projects[1].environments[0].quota.cpu, "4");
      assert.deepEqual(answer.body.domains, (await server.request("GET", "/v1/domains")).body);
      assert.ok(!JSON.stringify(answer.body).includes("never-shown"));

      const other = await server.request(
        "GET",
        `/v1/objects?stack=${encodeURIComponent("urn:pulumi:nobody::org")}`,
      );
      assert.deepEqual(other.body.projects, []);
      assert.equal(other.body.domains.length, 3);
    });

    it("leaves out what the caller may not read whole, instead of refusing the answer", async () => {
      await write("POST", "/v1/projects/alpha/role-bindings", { subject: "user:reader", role: "viewer" });
      await write("PUT", "/v1/projects/beta/defaults", { requests: { cpu: "100m" } });
      await write("POST", "/v1/projects/beta/role-bindings", {
        subject: "user:reader",
        role: "developer",
        environment: "development",
      });
      const reader = await server.request("GET", `/v1/objects?stack=${encodeURIComponent(stack)}`, {
        token: await tokenOf("user:reader"),
      });
      assert.equal(reader.status, 200, JSON.stringify(reader.body));
      // beta's project-wide defaults are not the reader's to read: beta is left out whole.
      assert.deepEqual(
        reader.body.projects.map((p: { project: { name: string } }) => p.project.name),
        ["alpha"],
      );
      const stranger = await server.request("GET", `/v1/objects?stack=${encodeURIComponent(stack)}`, {
        token: await tokenOf("user:stranger"),
      });
      assert.deepEqual(stranger.body.projects, []);
    });

    it("refuses a stack that is not a URN prefix, naming the field, and a parameter it does not know", async () => {
      for (const query of ["", "?stack=prod", `?stack=${encodeURIComponent(`${stack}::x`)}`]) {
        const refused = await server.request("GET", `/v1/objects${query}`);
        assertProblem(refused, 400, "validation_failed");
        assert.deepEqual(
          refused.body.errors.map((e: { path: string }) => e.path),
          ["stack"],
          JSON.stringify(refused.body),
        );
      }
      const unknown = await server.request("GET", `/v1/objects?stack=${stack}&extra=1`);
      assertProblem(unknown, 400, "validation_failed");
      assert.match(unknown.body.detail, /"extra"/);
    });
  });
}
