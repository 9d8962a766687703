// The provider's stack configuration, read through the dynamic-provider host's own Config class.
import { strict as assert } from "node:assert";
// The class the dynamic-provider host builds configure's request from.
import { Config } from "@pulumi/pulumi/cmd/dynamic-provider/config";
import { settingsFrom } from "../../../provider/config";

const config = (raw: Record<string, string>) => new Config(raw, "org");

describe("provider configuration", () => {
  it("reads endpoint, token and retryTimeout, and ignores other namespaces", () => {
    assert.deepEqual(
      settingsFrom(
        config({
          "tenancy:endpoint": "http://127.0.0.1:7420",
          "tenancy:token": "tny_x",
          "tenancy:retryTimeout": "90",
          "org:spec": "{}",
          "aws:region": "eu-west-1",
        }),
      ),
      { endpoint: "http://127.0.0.1:7420", token: "tny_x", retryTimeoutMs: 90_000 },
    );
  });

  it("refuses an unknown tenancy key, naming the nearest valid one", () => {
    assert.throws(
      () => settingsFrom(config({ "tenancy:endpont": "http://127.0.0.1:1" })),
      /unknown stack config key tenancy:endpont: did you mean tenancy:endpoint\?/,
    );
    assert.throws(() => settingsFrom(config({ "tenancy:tokn": "x" })), /did you mean tenancy:token\?/);
    assert.throws(
      () => settingsFrom(config({ "tenancy:retrytimeout": "5" })),
      /did you mean tenancy:retryTimeout\?/,
    );
  });

  it("refuses a retryTimeout that is not whole seconds", () => {
    assert.throws(() => settingsFrom(config({ "tenancy:retryTimeout": "1m" })), /whole number of seconds/);
  });
});
