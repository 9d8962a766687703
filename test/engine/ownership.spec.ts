// Ownership through the real CLI: an object belongs to the resource that created or adopted it.
// Two resources never both own one object; a failed replacement, reverted, loses nothing; a killed
// `pulumi up` converges on rerun.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { assertOk, processesIn, type TestStack, withStack } from "../../scripts/harness";
import { adminToken } from "../api/server";
import { baseSpec, canary, connect, declare, describeOnTransports, snapshot } from "./organisation";

/** The metadata sidecar of the stack's checkpoint in the file backend (`<project>/<stack>.json.attrs`). */
function checkpointSidecar(stack: TestStack): string {
  const stacks = path.join(stack.root, "backend", ".pulumi", "stacks");
  const found = fs
    .readdirSync(stacks, { recursive: true, encoding: "utf8" })
    .filter((entry) => entry.endsWith(".json.attrs") && !entry.endsWith(".bak.attrs"));
  assert.equal(found.length, 1, `one checkpoint sidecar under ${stacks}: ${found.join(", ")}`);
  return path.join(stacks, found[0]!);
}

/**
 * README's recovery after a killed `up`: `pulumi cancel`. A backend killed between truncating and
 * writing the checkpoint's sidecar cannot read the (intact) checkpoint: remove the empty sidecar.
 */
async function cancelAfterKill(stack: TestStack): Promise<"cancelled" | "sidecar removed"> {
  const cancelled = await stack.pulumi(["cancel", "--yes"]);
  if (cancelled.code === 0) return "cancelled";
  assert.match(cancelled.output, /failed to load checkpoint: EOF/, "cancel failed otherwise");
  const sidecar = checkpointSidecar(stack);
  assert.equal(fs.statSync(sidecar).size, 0, `${sidecar} is not the empty sidecar`);
  fs.rmSync(sidecar);
  assertOk(await stack.pulumi(["cancel", "--yes"]), "cancel after removing the empty sidecar");
  return "sidecar removed";
}

const organisation = (stackName?: string) => ({
  program: "organisation",
  ...(stackName ? { stackName } : {}),
  config: { "org:secret-db": { secret: canary } },
});

describeOnTransports("engine: ownership of objects", (transport, server) => {
  it("refuses a second stack's resource for an object the first manages, naming it", async () => {
    await withStack(organisation(), async (first) => {
      const api = await connect(first, server(), adminToken);
      await declare(first, baseSpec());
      assertOk(await first.up(), "first stack up");
      await withStack(organisation("other"), async (second) => {
        // Both stacks talk to the same control plane.
        await connect(second, server(), adminToken);
        if (!server()) await second.pulumiOk(["config", "set", "tenancy:endpoint", api.endpoint]);
        await declare(second, {
          ...baseSpec(),
          environments: [],
          quotas: [],
          defaults: [],
          secrets: [],
          roles: [],
        });
        const up = await second.up();
        assert.notEqual(up.code, 0, `the second stack took objects the first manages:\n${up.output}`);
        // Which of the first's objects it reaches first varies from run to run (the engine stops
        // starting steps at the first failure): each refusal names the object and its manager.
        assert.match(
          up.output,
          /Could not create (Project|Domain) (\S+): it already exists, managed by urn:pulumi:test::organisation::pulumi-nodejs:dynamic\/tenancy:\1::\2 \(stack test\)/,
        );
        // Its destroy touches nothing of the first's.
        const before = await snapshot(api);
        assertOk(await second.destroy(), "second stack destroy");
        assert.deepEqual(await snapshot(api), before, "the second stack deleted the first's objects");
      });
      assertOk(await first.preview("--expect-no-changes"), "the first stack still owns everything");
      assertOk(await first.destroy(), "first stack destroy");
    });
  });

  it("loses nothing when a failed replacement is reverted", async () => {
    await withStack(organisation(), async (stack) => {
      const api = await connect(stack, server(), adminToken);
      const spec = baseSpec();
      // Protected by the control plane alone (an Output, so no Pulumi protect): the engine then stops
      // midway through the rename, with replacements pending.
      Object.assign(
        spec.environments.find((e) => e.key === "web-prod")!,
        {
          protected: true,
          protectedAsOutput: true,
        },
      );
      await declare(stack, spec);
      assertOk(await stack.up(), "up");
      const before = await snapshot(api);

      const renamed = structuredClone(spec);
      renamed.projects.find((p) => p.key === "web")!.name = "webshop";
      await declare(stack, renamed);
      const failed = await stack.up(); // --skip-preview: the engine stops midway, on the protected environment
      assert.notEqual(failed.code, 0);

      await declare(stack, spec);
      assertOk(await stack.up(), "up after reverting the name");
      assert.deepEqual(await snapshot(api), before, "an object the program declares was lost");
      assertOk(await stack.preview("--expect-no-changes"), "no changes after the revert");
      // Unprotected, so the harness can destroy it.
      spec.environments.find((e) => e.key === "web-prod")!.protected = false;
      await declare(stack, spec);
      assertOk(await stack.up(), "up unprotecting");
    });
  });

  it("converges when pulumi up is killed after some creates", async () => {
    await withStack(organisation(), async (stack) => {
      const api = await connect(stack, server(), adminToken);
      await declare(stack, baseSpec());
      // Killed with its plugins part-way through the creates.
      const killed = await stack.pulumi(["up", "--yes", "--skip-preview"], {
        killWhen: (output) => (output.match(/ created \(/g) ?? []).length >= 8,
      });
      assert.notEqual(killed.code, 0, "the up finished before it was killed");
      // The killed up's provider notices its engine is gone, closes its client (and the embedded
      // store) and exits: nothing of the killed up keeps running.
      for (let i = 0; i < 100 && processesIn(stack.programDir).length > 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        processesIn(stack.programDir).map((p) => p.command),
        [],
        "processes of the killed up still run",
      );
      if (!server())
        assert.ok(!fs.existsSync(path.join(stack.root, "store", "tenancy.lock")), "store left locked");
      const partial = await snapshot(api);
      assert.ok(partial.projects.length > 0 && partial.quotas.length < 3, JSON.stringify(partial));
      // What a user runs after a killed up (README): release the stack's lock, then up again.
      await cancelAfterKill(stack);
      assertOk(await stack.up(), "up after the killed up");
      const state = await snapshot(api);
      assert.equal(state.environments.length, 7);
      assert.equal(state.quotas.length, 3);
      assert.equal(state.secrets.length, 2);
      assert.equal(state.roles.length, 3);
      assertOk(await stack.preview("--expect-no-changes"), "no changes after convergence");
      // The state a kill leaves now and then, made on purpose so the README's recovery always runs.
      fs.truncateSync(checkpointSidecar(stack), 0);
      assert.equal(await cancelAfterKill(stack), "sidecar removed");
      assertOk(await stack.preview("--expect-no-changes"), "no changes after removing the sidecar");
      assertOk(await stack.destroy(), "destroy");
      const empty = await snapshot(api);
      assert.deepEqual([empty.domains, empty.projects], [[], []], "destroy left orphans");
    });
  });
});
