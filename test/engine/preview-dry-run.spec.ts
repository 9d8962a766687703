// `pulumi preview` tells what `pulumi up` would refuse: each new or changed resource is checked by
// the control plane in a dry run (nothing stored), and the refusal is reported with its field. A
// refused token is reported once, not once per resource.
import { strict as assert } from "node:assert";
import { createClient } from "../../provider/connect";
import { assertOk, withStack } from "../../scripts/harness";
import { adminToken, startTestServer, type TestServer } from "../api/server";

describe("engine: preview asks the control plane", function () {
  this.timeout(600_000);
  let server: TestServer;
  const longProject = "p".repeat(39);
  before(async () => {
    server = await startTestServer("pglite");
    const api = createClient({ endpoint: server.url, token: adminToken });
    await api.domains.create({ name: "production", tier: "production" });
    await api.projects.create({ name: "web" });
    await api.projects.create({ name: longProject });
    await api.close();
  });
  after(async () => server.close());

  const stackWith = (config: Record<string, string>, token = adminToken) => ({
    program: "literal-environment",
    config: { ...config, "tenancy:endpoint": server.url, "tenancy:token": { secret: token } },
  });
  const environments = async (project: string) => {
    const api = createClient({ endpoint: server.url, token: adminToken });
    try {
      return (await api.environments.list(project)).map((e) => e.name);
    } finally {
      await api.close();
    }
  };

  it("refuses an unknown domain at preview, naming the field, and stores nothing", async () => {
    await withStack(stackWith({ project: "web", domain: "prodution" }), async (stack) => {
      const preview = await stack.preview();
      assert.notEqual(preview.code, 0, preview.output);
      assert.match(preview.output, /domain[\s\S]*prodution[\s\S]*does not exist/);
      assert.deepEqual(await environments("web"), [], "the dry run stored something");
    });
  });

  it("refuses a project-environment pair longer than a DNS label at preview", async () => {
    await withStack(
      stackWith({ project: longProject, domain: "production", name: "e".repeat(30) }),
      async (stack) => {
        const preview = await stack.preview();
        assert.notEqual(preview.code, 0, preview.output);
        assert.match(preview.output, /63/);
        assert.deepEqual(await environments(longProject), []);
      },
    );
  });

  it("reports a refused token once", async () => {
    await withStack(
      stackWith({ project: "web", domain: "production" }, "tny_not-a-valid-token-0000000000"),
      async (stack) => {
        const preview = await stack.preview();
        assert.notEqual(preview.code, 0, preview.output);
        assert.equal(
          preview.output.match(/token \(tenancy:token or TENANCY_TOKEN\) was refused/g)?.length,
          1,
          preview.output,
        );
      },
    );
  });

  it("passes what the control plane accepts, and up then creates it", async () => {
    await withStack(stackWith({ project: "web", domain: "production" }), async (stack) => {
      assertOk(await stack.preview(), "preview");
      assert.deepEqual(await environments("web"), [], "the dry run stored something");
      assertOk(await stack.up(), "up");
      assert.deepEqual(await environments("web"), ["production"]);
    });
  });
});
