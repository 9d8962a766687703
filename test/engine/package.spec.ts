// The package as a user installs it: `npm pack`, `npm install ./tenancy-<version>.tgz` into a fresh
// program (no link to the repository), then `pulumi up` on the embedded store, the policy pack from
// node_modules/tenancy/policies on a preview, and `npx tenancy matrix`.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot, run, withStack } from "../../scripts/harness";

const npm = process.platform === "win32" ? "npm.cmd" : "npm";

describe("engine: the packed package, installed as a user would", function () {
  this.timeout(900_000);
  let packDir: string;
  let tarball: string;

  before(async () => {
    packDir = await fs.mkdtemp(path.join(os.tmpdir(), "tenancy-pack-"));
    const packed = await run(npm, ["pack", "--json", "--pack-destination", packDir], { cwd: repoRoot });
    assert.equal(packed.code, 0, packed.output);
    const [{ filename }] = JSON.parse(packed.stdout) as [{ filename: string }];
    tarball = path.join(packDir, filename);
  });
  after(async () => fs.rm(packDir, { recursive: true, force: true }));

  it("ships what runs and nothing else", async () => {
    const listed = await run("tar", ["-tzf", tarball], { cwd: packDir });
    assert.equal(listed.code, 0, listed.output);
    const files = listed.stdout.trim().split("\n");
    for (const wanted of [
      "package/dist/sdk/index.js",
      "package/dist/sdk/index.d.ts",
      "package/dist/cli/main.js",
      "package/dist/policies/index.js",
      "package/policies/PulumiPolicy.yaml",
      "package/policies/package.json",
    ]) {
      assert.ok(files.includes(wanted), `${wanted} is missing from the package`);
    }
    const stray = files.filter((f) =>
      /^package\/(test|bench|scripts|examples)\/|\.map$|(?<!\.d)\.ts$/.test(f),
    );
    assert.deepEqual(stray, [], "the package ships files nothing loads");
  });

  it("goes up, runs the policy pack from node_modules and the CLI, with nothing else installed", async () => {
    await withStack(
      {
        program: "installed",
        install: async (programDir) => {
          const installed = await run(
            npm,
            ["install", "--no-audit", "--no-fund", "--prefer-offline", tarball],
            { cwd: programDir, timeoutMs: 600_000 },
          );
          assert.equal(installed.code, 0, installed.output);
          const link = await fs.lstat(path.join(programDir, "node_modules", "tenancy"));
          assert.ok(!link.isSymbolicLink(), "tenancy is installed from the tarball, not linked");
        },
      },
      async (stack) => {
        const up = await stack.up();
        assert.equal(up.code, 0, up.output);
        assert.match(up.output, /^\s+\+ 9 created$/m, "the stack and its 8 resources");

        const pack = path.join("node_modules", "tenancy", "policies");
        const clean = await stack.pulumi(["preview", "--policy-pack", pack, "--expect-no-changes"]);
        assert.equal(clean.code, 0, clean.output);

        await stack.pulumiOk(["config", "set", "unprotectedProduction", "true"]);
        const refused = await stack.pulumi(["preview", "--policy-pack", pack]);
        assert.notEqual(refused.code, 0, refused.output);
        assert.match(refused.output, /\[mandatory\]\s+tenancy-production-protected/);
        await stack.pulumiOk(["config", "rm", "unprotectedProduction"]);

        const matrix = await run("npx", ["--no-install", "tenancy", "matrix"], {
          cwd: stack.programDir,
          env: { ...stack.env, TENANCY_ENDPOINT: `file://${path.join(stack.programDir, ".tenancy")}` },
        });
        assert.equal(matrix.code, 0, matrix.output);
        assert.match(matrix.stdout, /^web\s+-\s+development: 4 cpu\/8Gi, 1 secrets, 1 roles$/m);
      },
    );
  });
});
