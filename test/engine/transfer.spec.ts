// Moving an environment to another project through the real CLI: the environment, its quota and its
// environment-scoped role binding preview and apply as updates, in place; nothing is replaced, the
// binding keeps its id, and the next preview shows no changes.
import { strict as assert } from "node:assert";
import { createClient } from "../../provider/connect";
import { assertOk, withStack } from "../../scripts/harness";
import { adminToken } from "../api/server";
import { baseSpec, canary, connect, declare, describeOnTransports, snapshot } from "./organisation";

describeOnTransports("engine: an environment moved to another project", (_transport, server) => {
  it("updates the environment and what moves with it in place, keeping ids", async () => {
    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack) => {
        const api = await connect(stack, server(), adminToken);
        const spec = baseSpec();
        await declare(stack, spec);
        assertOk(await stack.up(), "up");
        const bindingBefore = await (async () => {
          const client = createClient(api);
          try {
            return (await client.roleBindings.list("ml", { environment: "production" }))[0]!;
          } finally {
            await client.close();
          }
        })();

        spec.environments.find((e) => e.key === "ml-prod")!.project = "acme";
        // The program names the binding's project itself: it follows the environment there too.
        spec.roles.find((r) => r.environment === "ml-prod")!.project = "acme";
        await declare(stack, spec);
        const preview = await stack.preview();
        assertOk(preview, "preview of the move");
        assert.doesNotMatch(preview.output, /replace/, "nothing is replaced");
        assert.match(preview.output, /~ 3 to update/, preview.output);

        const up = await stack.up();
        assertOk(up, "up with the move");
        assert.match(up.output, /^\s+~ 3 updated$/m);
        assert.doesNotMatch(up.output, /created|deleted|replaced/);
        const after = await snapshot(api);
        assert.ok(after.environments.includes("acme/production:production"), after.environments.join());
        assert.ok(after.quotas.includes("acme/production:cpu=32"), after.quotas.join());
        assert.ok(after.roles.includes("acme/production/team:ml-ops/admin"), after.roles.join());
        const client = createClient(api);
        try {
          const bindingAfter = await client.roleBindings.get("acme", bindingBefore.id);
          assert.equal(bindingAfter.createdAt, bindingBefore.createdAt, "the binding kept its id");
        } finally {
          await client.close();
        }
        assertOk(await stack.preview("--expect-no-changes"), "no changes after the move");
      },
    );
  });
});
