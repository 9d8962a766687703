// What the engine does with a Node dynamic provider, through the real CLI. The answers recorded in
// docs/engine-notes.md are the assertions of this file and policy-pack.spec.ts.
import { strict as assert } from "node:assert";
import { createHash } from "node:crypto";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { assertOk, withStack } from "../../scripts/harness";
import { canary, probeConfig, probeType, setConfig, storedRecord } from "./probe";

describe("engine: a Node dynamic provider", function () {
  this.timeout(600_000);
  it("goes through preview, up, update, refresh and destroy with its custom type token", async () => {
    const seen: string[] = [];
    await withStack({ program: "probe", config: { "probe:token": { secret: canary } } }, async (stack) => {
      await setConfig(stack, probeConfig(stack, { alpha: "hello" }));

      const preview = await stack.preview();
      seen.push(preview.output);
      assertOk(preview, "preview");
      assert.match(
        preview.output,
        new RegExp(`\\+ ${probeType}: \\(create\\)\\s+\\[urn=\\S+::${probeType}::alpha\\]`),
      );
      assert.equal(await storedRecord(stack, "alpha"), undefined, "preview must not create anything");

      const up = await stack.up();
      seen.push(up.output);
      assertOk(up, "up");
      const created = await storedRecord(stack, "alpha");
      assert.deepEqual(
        { name: created?.name, message: created?.message, revision: created?.revision },
        { name: "alpha", message: "hello", revision: 1 },
      );
      const outputs = await stack.outputs();
      assert.deepEqual((outputs.probes as Record<string, unknown>).alpha, {
        name: "alpha",
        message: "hello",
        revision: 1,
        tokenFingerprint: createHash("sha256").update(canary).digest("hex").slice(0, 16),
      });
      const exported = await stack.exportState();
      seen.push(exported.text);
      const probe = exported.resources.find((r) => r.type === probeType);
      assert.ok(probe, `no ${probeType} in the exported state`);
      assert.equal(probe.id, "alpha");
      assert.ok(probe.urn.endsWith(`::${probeType}::alpha`), probe.urn);

      await setConfig(stack, { "probe:items": JSON.stringify({ alpha: "changed" }) });
      const update = await stack.up();
      seen.push(update.output);
      assertOk(update, "update");
      assert.match(update.output, /^\s+~ 1 updated$/m);
      assert.deepEqual(
        {
          message: (await storedRecord(stack, "alpha"))?.message,
          revision: (await storedRecord(stack, "alpha"))?.revision,
        },
        { message: "changed", revision: 2 },
      );
      assert.equal((await stack.exportState()).resources.find((r) => r.type === probeType)?.id, "alpha");

      // Drift made outside the stack: refresh runs the provider's read and takes the live values.
      await fs.writeFile(
        path.join(stack.root, "store", "alpha.json"),
        JSON.stringify({ ...(await storedRecord(stack, "alpha")), message: "drifted" }),
      );
      const refresh = await stack.refresh();
      seen.push(refresh.output);
      assertOk(refresh, "refresh");
      const refreshed = (await stack.exportState()).resources.find((r) => r.type === probeType);
      assert.equal(refreshed?.outputs?.message, "drifted");
      const restore = await stack.up();
      assertOk(restore, "up after drift");
      assert.equal((await storedRecord(stack, "alpha"))?.message, "changed");

      // An object deleted outside the stack: read returns an empty id and refresh drops it.
      await fs.rm(path.join(stack.root, "store", "alpha.json"));
      assertOk(await stack.refresh(), "refresh after deletion");
      assert.equal(
        (await stack.exportState()).resources.find((r) => r.type === probeType),
        undefined,
        "refresh must drop an object whose read returns an empty id",
      );
      const recreate = await stack.up();
      assertOk(recreate, "up after deletion");
      assert.equal((await storedRecord(stack, "alpha"))?.revision, 1);

      const destroy = await stack.destroy();
      seen.push(destroy.output);
      assertOk(destroy, "destroy");
      assert.equal(await storedRecord(stack, "alpha"), undefined);
      assert.equal(
        (await stack.exportState()).resources.find((r) => r.type === probeType),
        undefined,
      );

      for (const text of seen) assert.ok(!text.includes(canary), "the secret config value leaked");
    });
  });

  it("receives secret stack config in configure, and keeps it out of the state and the provider", async () => {
    await withStack({ program: "probe", config: { "probe:token": { secret: canary } } }, async (stack) => {
      await setConfig(stack, probeConfig(stack, { beta: "hi" }));
      assertOk(await stack.up(), "up");
      const record = await storedRecord(stack, "beta");
      assert.equal(record?.tokenFingerprint, createHash("sha256").update(canary).digest("hex").slice(0, 16));
      const exported = await stack.exportState();
      assert.ok(!exported.text.includes(canary), "the secret appears in plain text in the exported state");
      const probe = exported.resources.find((r) => r.type === probeType);
      const serializedProvider = String(probe?.inputs?.__provider ?? "");
      assert.ok(serializedProvider.length > 0, "the dynamic provider is serialized into the state");
      assert.ok(!serializedProvider.includes(canary));
      const stackConfig = await fs.readFile(path.join(stack.programDir, "Pulumi.test.yaml"), "utf8");
      assert.ok(!stackConfig.includes(canary), "the stack config file must hold the secret encrypted");
    });
  });

  it("cannot adopt an object with the import resource option: the provider gets no __provider on import", async () => {
    await withStack({ program: "probe" }, async (stack) => {
      const store = path.join(stack.root, "store");
      await fs.mkdir(store, { recursive: true });
      const legacy = { name: "legacy", message: "kept", revision: 7, tokenFingerprint: "" };
      await fs.writeFile(path.join(store, "legacy.json"), JSON.stringify(legacy));
      await setConfig(stack, probeConfig(stack, { legacy: "kept" }, { "probe:importIds": '["legacy"]' }));
      const up = await stack.up();
      assert.notEqual(up.code, 0, up.output);
      // The dynamic-provider host deserializes the provider from the read request's properties,
      // which an import does not send.
      assert.match(up.output, /Cannot read properties of undefined \(reading 'toJavaScript'\)/);
      assert.deepEqual(
        await storedRecord(stack, "legacy"),
        legacy,
        "a failed import must leave the object as it was",
      );
      assert.equal(
        (await stack.exportState()).resources.find((r) => r.type === probeType),
        undefined,
      );
    });
  });
});
