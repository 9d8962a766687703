// Harder lifecycles through the real CLI: renaming a project, adopting objects that already exist,
// and a control plane that dies in the middle of `pulumi up`.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { createClient, type ClientOptions } from "../../provider/connect";
import {
  assertOk,
  createDatabase,
  folderHolder,
  isAlive,
  serve,
  type ServeProcess,
} from "../../scripts/harness";
import { adminToken, secretKey } from "../api/server";
import { withStack, type TestStack } from "../../scripts/harness";
import { baseSpec, canary, declare, snapshot } from "./organisation";

/** Runs `body` on a stack of the organisation program whose provider uses the embedded store. */
function withEmbeddedStack(body: (stack: TestStack, api: ClientOptions) => Promise<void>) {
  return withStack(
    { program: "organisation", config: { "org:secret-db": { secret: canary } } },
    async (stack) => {
      const api = { endpoint: `file://${path.join(stack.root, "store")}` };
      await stack.pulumiOk(["config", "set", "tenancy:endpoint", api.endpoint]);
      await body(stack, api);
    },
  );
}

describe("engine: tenancy lifecycles", function () {
  this.timeout(900_000);

  it("renames a project by replacing it and its dependents, as the engine plans", async () => {
    await withEmbeddedStack(async (stack, api) => {
      const spec = baseSpec();
      await declare(stack, spec);
      assertOk(await stack.up(), "up");

      spec.projects.find((p) => p.key === "ml")!.name = "ml-platform";
      await declare(stack, spec);
      const preview = assertOk(await stack.preview(), "preview of the rename");
      assert.match(preview.output, /\+-\s*pulumi-nodejs:dynamic\/tenancy:Project: \(replace\)/);
      const rename = assertOk(await stack.up(), "up with the rename");
      assert.match(rename.output, /replaced/);
      const after = await snapshot(api);
      assert.deepEqual(after.projects, ["acme", "ml-platform", "web"]);
      assert.ok(after.environments.includes("ml-platform/production:production"), after.environments.join());
      assert.ok(after.quotas.includes("ml-platform/production:cpu=32"));
      assert.ok(after.roles.includes("ml-platform/production/team:ml-ops/admin"));
      assertOk(await stack.preview("--expect-no-changes"), "preview after the rename");
    });
  });

  it("adopts objects created beforehand through the API with adopt: true", async () => {
    await withEmbeddedStack(async (stack, api) => {
      const spec = baseSpec();
      const direct = createClient(api);
      for (const d of spec.domains)
        await direct.domains.create(d as Parameters<typeof direct.domains.create>[0]);
      await direct.projects.create({ name: "web", description: "made by hand" });
      await direct.environments.create("web", { domain: "production" });
      await direct.quotas.put("web", "production", { cpu: "1" });
      await direct.roleBindings.create("web", { subject: "team:storefront", role: "developer" });
      await direct.close();

      await declare(stack, spec);
      const refused = await stack.up();
      assert.notEqual(refused.code, 0, "objects that exist must not be taken over silently");
      assert.match(
        refused.output,
        /already exists, managed by hand \(no Pulumi resource\)\. .*set adopt: true/,
      );

      await stack.pulumiOk(["config", "set", "org:adopt", "true"]);
      const adoptPreview = await stack.preview();
      assertOk(adoptPreview, "preview with adopt");
      assert.match(adoptPreview.output, /tenancy: Project web: will be adopted; it is managed by hand/);
      const adopting = assertOk(await stack.up(), "up with adopt");
      // Adoption says whose object it took: these were made by hand through the API.
      assert.match(
        adopting.output,
        /tenancy: Project web: adopted; it was managed by hand \(no Pulumi resource\)/,
      );
      const adopted = await snapshot(api);
      assert.deepEqual(adopted.projects, ["acme", "ml", "web"]);
      assert.ok(
        adopted.quotas.includes("web/production:cpu=8"),
        "the adopted quota takes the declared value",
      );
      assert.equal(adopted.roles.filter((r) => r === "web/*/team:storefront/developer").length, 1);
      const project = await createClient(api).projects.get("web");
      assert.equal(project.description, undefined, "the adopted project takes the declared fields");
      assertOk(await stack.preview("--expect-no-changes"), "preview after adoption");
    });
  });

  it("converges with no duplicates or orphans when the control plane dies during up", async () => {
    const url = await createDatabase();
    const env = { TENANCY_BOOTSTRAP_TOKEN: adminToken, TENANCY_SECRET_KEY: secretKey };
    let server: ServeProcess = await serve(["--database-url", url], env);
    try {
      await withStack(
        {
          program: "organisation",
          config: { "org:secret-db": { secret: canary }, "tenancy:token": { secret: adminToken } },
        },
        async (stack) => {
          await stack.pulumiOk(["config", "set", "tenancy:endpoint", server.url]);
          await declare(stack, baseSpec());
          const running = stack.up();
          // Stop the server once part of the organisation exists.
          for (let i = 0; i < 600; i++) {
            const audit = await fetch(`${server.url}/v1/audit?limit=1000`, {
              headers: { authorization: `Bearer ${adminToken}` },
            })
              .then((r) => r.json() as Promise<unknown[]>)
              .catch(() => []);
            if (audit.length >= 12) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
          server.child.kill("SIGKILL");
          const interrupted = await running;
          assert.notEqual(interrupted.code, 0, "up cannot finish without its control plane");

          server = await serve(["--database-url", url], env);
          await stack.pulumiOk(["config", "set", "tenancy:endpoint", server.url]);
          assertOk(await stack.up(), "rerun after the restart");
          const api = { endpoint: server.url, token: adminToken };
          const state = await snapshot(api);
          assert.equal(state.environments.length, 7);
          assert.equal(state.quotas.length, 3);
          assert.equal(state.secrets.length, 2);
          assert.deepEqual(state.roles, [
            "acme/*/service:ci/contributor",
            "ml/production/team:ml-ops/admin",
            "web/*/team:storefront/developer",
          ]);
          assertOk(await stack.preview("--expect-no-changes"), "preview after convergence");
          assertOk(await stack.destroy(), "destroy");
          const empty = await snapshot(api);
          assert.deepEqual([empty.domains, empty.projects], [[], []], "destroy left orphans");
        },
      );
    } finally {
      await server.stop();
    }
  });

  it("keeps the embedded store open between commands with TENANCY_KEEP_OPEN, for commands without it too", async () => {
    await withEmbeddedStack(async (stack, api) => {
      const store = api.endpoint!.slice("file://".length);
      const keepOpen = { env: { TENANCY_KEEP_OPEN: "120" } };
      await declare(stack, baseSpec());
      let keeper: number | undefined;
      try {
        assertOk(await stack.pulumi(["up", "--yes", "--skip-preview"], keepOpen), "up");
        keeper = folderHolder(store);
        // The engine stopped the provider that started it; the store stays open for the next command.
        assert.ok(keeper !== undefined && isAlive(keeper), "the store kept open outlives the command");
        assertOk(await stack.pulumi(["refresh", "--yes", "--skip-preview"], keepOpen), "refresh");
        // A command without TENANCY_KEEP_OPEN goes through it rather than being refused by its lock.
        assertOk(await stack.refresh(), "refresh without TENANCY_KEEP_OPEN");
        assert.equal(folderHolder(store), keeper);
        assert.deepEqual((await snapshot(api)).projects, ["acme", "ml", "web"]);
        assertOk(await stack.destroy(), "destroy");
      } finally {
        if (keeper !== undefined && isAlive(keeper)) process.kill(keeper, "SIGTERM");
      }
      const start = Date.now();
      while (keeper !== undefined && isAlive(keeper) && Date.now() - start < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal(folderHolder(store), undefined, "SIGTERM leaves the folder unlocked");
    });
  });
});
