// What the engine does with a policy pack during preview, through the real CLI.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { assertOk, withStack } from "../../scripts/harness";
import { probeConfig, setConfig, storedRecord } from "./probe";

describe("engine: a policy pack", function () {
  this.timeout(600_000);
  it("fails preview on a mandatory resource violation and names the policy", async () => {
    await withStack({ program: "probe" }, async (stack) => {
      await setConfig(stack, probeConfig(stack, { alpha: "forbidden" }));
      const pack = await stack.policyPack("probe-rules");
      const preview = await stack.preview("--policy-pack", pack);
      assert.notEqual(preview.code, 0, preview.output);
      assert.match(preview.output, /\[mandatory\]\s+probe-no-forbidden-message/);
      assert.match(preview.output, /probe alpha: message "forbidden" is not allowed/);
      assert.equal(await storedRecord(stack, "alpha"), undefined);
    });
  });

  it("runs validateStack policies during preview", async () => {
    await withStack({ program: "probe" }, async (stack) => {
      await setConfig(stack, probeConfig(stack, { alpha: "same", beta: "same" }));
      const pack = await stack.policyPack("probe-rules");
      const preview = await stack.preview("--policy-pack", pack);
      assert.notEqual(preview.code, 0, preview.output);
      assert.match(preview.output, /\[mandatory\]\s+probe-unique-messages/);
      // validateStack sees the resources in no fixed order.
      assert.match(preview.output, /probes (alpha and beta|beta and alpha) share the message "same"/);
    });
  });

  it("turns a violation into a warning when the pack's config makes it advisory", async () => {
    await withStack({ program: "probe" }, async (stack) => {
      await setConfig(stack, probeConfig(stack, { alpha: "forbidden" }));
      const pack = await stack.policyPack("probe-rules");
      const configFile = path.join(stack.root, "policy-config.json");
      await fs.writeFile(configFile, JSON.stringify({ "probe-no-forbidden-message": "advisory" }));
      const preview = await stack.preview("--policy-pack", pack, "--policy-pack-config", configFile);
      assertOk(preview, "preview with an advisory policy");
      assert.match(preview.output, /\[advisory\]\s+probe-no-forbidden-message/);
    });
  });

  it("still runs resource policies on a resource whose check failed", async () => {
    await withStack({ program: "probe" }, async (stack) => {
      await setConfig(stack, probeConfig(stack, { "Not-A-Slug": "forbidden" }));
      const pack = await stack.policyPack("probe-rules");
      const preview = await stack.preview("--policy-pack", pack);
      assert.notEqual(preview.code, 0, preview.output);
      assert.match(preview.output, /name "Not-A-Slug" must be a lowercase slug/);
      assert.match(preview.output, /\[mandatory\]\s+probe-no-forbidden-message/);
    });
  });
});
