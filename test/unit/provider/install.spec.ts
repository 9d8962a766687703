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

  it("refuses a kind it does not know", async () => {
    await assert.rejects(install({}, "cluster" as never, configureRequest), /no provider for kind "cluster"/);
  });
});
