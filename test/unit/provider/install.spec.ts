// The provider object the SDK serializes into the state: small, and complete once configured.
import { strict as assert } from "node:assert";
import * as pulumi from "@pulumi/pulumi";
import { install } from "../../../provider/install";
import { dynamicProvider } from "../../../sdk/provider";

const configureRequest = { config: { get: () => undefined } } as unknown as pulumi.dynamic.ConfigureRequest;

describe("serialized provider", () => {
  it("serializes to at most 1 KB with no implementation code in it", async () => {
    const provider = dynamicProvider("quota");
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    assert.ok(serialized.text.length <= 1024, `${serialized.text.length} bytes`);
    assert.ok(!serialized.text.includes("spec"), "the kind's implementation was serialized");
  });

  it("gets its kind's methods from configure, as the dynamic-provider host calls it", async () => {
    const provider = dynamicProvider("quota");
    const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
    // What the host does: evaluate the module text, call its handler, configure the result.
    const module = { exports: {} as { handler: () => pulumi.dynamic.ResourceProvider } };
    new Function("exports", "require", serialized.text)(module.exports, require);
    const deserialized = module.exports.handler();
    assert.equal(deserialized.create, undefined);
    await deserialized.configure!(configureRequest);
    const result = await deserialized.check!({}, { project: "web", environment: "production", cpu: "2" });
    assert.deepEqual(result.failures, []);
    for (const method of ["check", "diff", "create", "read", "update", "delete"] as const)
      assert.equal(typeof deserialized[method], "function", method);
  });

  it("has a failure printed once: the host's own stderr copy of it is dropped", async () => {
    const target: Partial<pulumi.dynamic.ResourceProvider> = {};
    // Nothing listens on port 9: the update fails at once as unavailable.
    const settings: Record<string, string> = {
      "tenancy:endpoint": "http://127.0.0.1:9",
      "tenancy:retryTimeout": "0",
    };
    const unreachable = {
      config: { get: (key: string) => settings[key] },
    } as unknown as pulumi.dynamic.ConfigureRequest;
    await install(target, "quota", unreachable);
    const printed: unknown[][] = [];
    const print = console.error;
    console.error = (...args: unknown[]) => void printed.push(args);
    try {
      const inputs = { project: "web", environment: "production", cpu: "2", version: 1 };
      const failure = await target.update!("web/production", inputs as never, inputs as never).catch(
        (e: unknown) => e,
      );
      assert.ok(failure instanceof Error);
      // What the dynamic-provider host prints before returning the error to the engine.
      console.error(`${failure}: ${failure.stack}`);
      console.error("another line");
      assert.deepEqual(printed, [["another line"]]);
      assert.match(failure.message, /Could not update Quota web\/production/);
    } finally {
      console.error = print;
      await install({}, "quota", configureRequest);
    }
  });

  it("refuses a kind it does not know", async () => {
    await assert.rejects(install({}, "gateway" as never, configureRequest), /no provider for kind "gateway"/);
  });
});
