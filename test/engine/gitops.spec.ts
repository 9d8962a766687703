// The GitOps pipeline script (examples/gitops/pipeline.sh) run locally against a control plane it
// reaches through TENANCY_ENDPOINT / TENANCY_TOKEN, as a CI job would.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { repoRoot, run, withStack, type TestStack } from "../../scripts/harness";
import { baseSpec, canary, snapshot } from "./organisation";

const script = path.join(repoRoot, "examples/gitops/pipeline.sh");

/** The base organisation made compliant, with the pipeline's own org admin token. */
function compliant() {
  const spec = baseSpec();
  for (const env of spec.environments) if (env.domain === "production") env.protected = true;
  return {
    ...spec,
    tokens: [
      {
        name: "pipeline",
        subject: "service:pipeline",
        orgAdmin: true,
        expiresIn: "90d",
        rotateBefore: "14d",
      },
    ],
  };
}

describe("engine: the GitOps pipeline script", function () {
  this.timeout(600_000);
  let server: TestServer;
  before(async () => (server = await startTestServer("pglite")));
  after(async () => server.close());

  /** Runs the script with the bootstrap token, or (`ownToken`) with the token the stack issued. */
  async function pipeline(stack: TestStack, mode: string, summary: string, ownToken = false) {
    return run("bash", [script, mode], {
      cwd: stack.root,
      env: {
        ...stack.env,
        TENANCY_ENDPOINT: server.url,
        ...(ownToken ? { TENANCY_TOKEN_OUTPUT: "pipelineToken" } : { TENANCY_TOKEN: adminToken }),
        PROGRAM_DIR: stack.programDir,
        STACK: stack.name,
        SUMMARY_FILE: summary,
      },
    });
  }

  it("previews under policy on a pull request, applies on main, and fails a violating change", async () => {
    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack) => {
        const summary = path.join(stack.root, "summary.md");
        await stack.pulumiOk(["config", "set", "org:spec", JSON.stringify(compliant())]);

        const preview = await pipeline(stack, "preview", summary);
        assert.equal(preview.code, 0, preview.output);
        let text = await fs.readFile(summary, "utf8");
        assert.match(text, /## tenancy preview: passed/);
        assert.match(text, /\+ 26 to create/);
        assert.match(text, /tenancy\|local/, "the summary names the policy pack that ran");
        assert.deepEqual(
          (await snapshot({ endpoint: server.url, token: adminToken })).projects,
          [],
          "preview changed nothing",
        );

        const up = await pipeline(stack, "up", summary);
        assert.equal(up.code, 0, up.output);
        assert.deepEqual((await snapshot({ endpoint: server.url, token: adminToken })).projects, [
          "acme",
          "ml",
          "web",
        ]);

        // From here on the pipeline runs with the service token the organisation issued itself.
        const own = await pipeline(stack, "up", summary, true);
        assert.equal(own.code, 0, own.output);
        const tokens = await fetch(`${server.url}/v1/tokens`, {
          headers: { authorization: `Bearer ${adminToken}` },
        });
        const pipelineTokens = ((await tokens.json()) as { name: string; revokedAt?: string }[]).filter(
          (t) => t.name === "pipeline" && !t.revokedAt,
        );
        assert.equal(pipelineTokens.length, 1);

        const violating = compliant();
        violating.quotas = violating.quotas.filter((q) => q.environment !== "web-prod");
        await stack.pulumiOk(["config", "set", "org:spec", JSON.stringify(violating)]);
        await fs.rm(summary);
        const failed = await pipeline(stack, "preview", summary, true);
        assert.notEqual(failed.code, 0, "a mandatory violation fails the pipeline");
        text = await fs.readFile(summary, "utf8");
        assert.match(text, /## tenancy preview: failed/);
        assert.match(text, /\[mandatory\]\s+tenancy-production-quota/);
        assert.ok(!text.includes(canary) && !failed.output.includes(canary) && !up.output.includes(canary));
      },
    );
  });
});
