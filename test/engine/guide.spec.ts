// The shell blocks of docs/guide.md run as written: in an empty folder, with the toolchain on PATH
// and TENANCY_PACKAGE naming this checkout (built by the test command), on the embedded store.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot, run } from "../../scripts/harness";

/** The guide's `sh` blocks, in order. */
async function shellBlocks(): Promise<string[]> {
  const guide = await fs.readFile(path.join(repoRoot, "docs/guide.md"), "utf8");
  return [...guide.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
}

describe("engine: docs/guide.md, run as written", function () {
  this.timeout(900_000);
  let root: string;

  before(async () => (root = await fs.mkdtemp(path.join(os.tmpdir(), "tenancy-guide-"))));
  after(async () => fs.rm(root, { recursive: true, force: true }));

  it("takes an empty folder to a stack that previews clean under the policy pack, then changes it", async () => {
    const blocks = await shellBlocks();
    assert.ok(blocks.length >= 4, "the guide's walkthrough has its shell blocks");
    await fs.mkdir(path.join(root, "pulumi-home"));
    // Nothing of the caller's tenancy or Pulumi settings leaks in: the guide sets what it needs.
    const env = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !/^(TENANCY_|PULUMI_)/.test(key)),
    );
    const result = await run("bash", ["-c", ["set -euo pipefail", ...blocks].join("\n")], {
      cwd: root,
      env: {
        ...env,
        TENANCY_PACKAGE: repoRoot,
        PULUMI_HOME: path.join(root, "pulumi-home"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        NO_COLOR: "1",
      },
      timeoutMs: 800_000,
    });
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /^\s+\+ 12 created$/m, "the stack and its 11 resources");
    assert.match(result.output, /^web\s/m, "the matrix lists the project");
    assert.doesNotMatch(result.output, /\[(advisory|mandatory)\]/, "the policy pack finds nothing");
    assert.match(result.output, /^\s+~ 1 updated$/m, "the quota change is one update");
  });
});
