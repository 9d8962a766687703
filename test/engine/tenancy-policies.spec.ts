// The tenancy policy pack (policies/) on `pulumi preview`, through the real CLI: each rule stops a
// violating organisation, a compliant one passes, and the pack's config turns a rule advisory.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { repoRoot, withStack, type TestStack } from "../../scripts/harness";
import { baseSpec, canary } from "./organisation";

type Spec = ReturnType<typeof baseSpec>;
const pack = path.join(repoRoot, "policies");

/** The base organisation made compliant: production environments protected and guarded, each
 * with a quota. */
function compliant(): Spec {
  const spec = baseSpec();
  for (const env of spec.environments) {
    if (env.domain !== "production") continue;
    env.protected = true;
    env.approval = { approvers: ["team:platform"] };
  }
  return spec;
}

async function preview(stack: TestStack, spec: Spec, ...extra: string[]) {
  await stack.pulumiOk(["config", "set", "org:spec", JSON.stringify(spec)]);
  return stack.pulumi(["preview", "--policy-pack", pack, ...extra]);
}

describe("engine: the tenancy policy pack", function () {
  this.timeout(600_000);

  it("passes a compliant organisation and stops each violation during preview", async () => {
    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack) => {
        const clean = await preview(stack, compliant());
        assert.equal(clean.code, 0, clean.output);
        assert.doesNotMatch(clean.output, /\[(mandatory|advisory)\]/);

        const badName = compliant();
        badName.projects[0]!.name = "Web_Shop";
        const naming = await preview(stack, badName);
        assert.notEqual(naming.code, 0);
        assert.match(naming.output, /\[mandatory\]\s+tenancy-naming/);
        assert.match(naming.output, /name "Web_Shop" must be lowercase/);

        const unprotected = compliant();
        unprotected.environments.find((e) => e.key === "web-prod")!.protected = false;
        const protectedResult = await preview(stack, unprotected);
        assert.notEqual(protectedResult.code, 0);
        assert.match(protectedResult.output, /\[mandatory\]\s+tenancy-production-protected/);
        assert.match(
          protectedResult.output,
          /web\/production is in production domain "production" but protected is false/,
        );

        const noQuota = compliant();
        noQuota.quotas = noQuota.quotas.filter((q) => q.environment !== "web-prod");
        const quota = await preview(stack, noQuota);
        assert.notEqual(quota.code, 0);
        assert.match(quota.output, /\[mandatory\]\s+tenancy-production-quota/);
        assert.match(quota.output, /production environment web\/production has no Quota/);

        const shared = compliant();
        shared.secrets.push(
          { environment: "web-prod", name: "api-key", reference: "vault://shared/api-key" },
          { environment: "web-dev", name: "api-key", reference: "vault://shared/api-key" },
        );
        const isolation = await preview(stack, shared);
        assert.notEqual(isolation.code, 0);
        assert.match(isolation.output, /\[mandatory\]\s+tenancy-secret-isolation/);
        assert.match(
          isolation.output,
          /"vault:\/\/shared\/api-key" is bound in production \(web\/production\) and outside it/,
        );

        const user = compliant();
        user.roles.push({ project: "web", subject: "user:alice", role: "viewer" });
        const roles = await preview(stack, user);
        assert.equal(roles.code, 0, "tenancy-roles-via-teams is advisory by default");
        assert.match(roles.output, /\[advisory\]\s+tenancy-roles-via-teams/);
        assert.match(roles.output, /"user:alice" is a user/);

        const configFile = path.join(stack.root, "policy-config.json");
        await fs.writeFile(configFile, JSON.stringify({ "tenancy-production-quota": "advisory" }));
        const advisory = await preview(stack, noQuota, "--policy-pack-config", configFile);
        assert.equal(advisory.code, 0, advisory.output);
        assert.match(advisory.output, /\[advisory\]\s+tenancy-production-quota/);
      },
    );
  });
});
