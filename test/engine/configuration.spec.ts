// What a preview says about a misdeclared stack, through the real CLI: a typo in a tenancy config
// key fails with the nearest valid key (instead of silently using the default store), and a check
// failure on a secret input never prints the secret.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { withStack } from "../../scripts/harness";

const canary = "canary-5f1d-never-in-output";

describe("engine: configuration and secret inputs at preview", function () {
  this.timeout(600_000);

  it("refuses a tenancy config key it does not know, naming the nearest", async () => {
    await withStack(
      {
        program: "secret-binding",
        config: { value: { secret: canary }, "tenancy:endpont": "http://127.0.0.1:9" },
      },
      async (stack) => {
        const preview = await stack.preview();
        assert.notEqual(preview.code, 0, preview.output);
        assert.match(
          preview.output,
          /unknown stack config key tenancy:endpont: did you mean tenancy:endpoint\?/,
        );
        assert.ok(!fs.existsSync(path.join(stack.programDir, ".tenancy")), "the default store was opened");
        assert.ok(!preview.output.includes(canary));
      },
    );
  });

  it("never prints a secret value that check refuses", async () => {
    await withStack(
      { program: "secret-binding", config: { value: { secret: canary }, reference: "vault://web/db" } },
      async (stack) => {
        const preview = await stack.preview();
        assert.notEqual(preview.code, 0, preview.output);
        assert.match(preview.output, /value: give exactly one of value or reference/);
        assert.ok(!preview.output.includes(canary), preview.output);
        const up = await stack.up();
        assert.notEqual(up.code, 0);
        assert.ok(!up.output.includes(canary), up.output);
      },
    );
  });
});
