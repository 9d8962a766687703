// Teams, API tokens and quota ceilings through the real CLI, on both transports: a team member
// holds the team's role with no team claim in its token, a declared member list puts itself back
// after drift, declaring a list and memberships of one team is refused at preview, a token output
// works and dies with its resource, and a stack over a ceiling is stopped at preview by the policy
// pack or, without it, at up by the control plane.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { TenancyError } from "../../model";
import { createClient, type ClientOptions } from "../../provider/connect";
import { assertOk, repoRoot, type TestStack, withStack } from "../../scripts/harness";
import { adminToken } from "../api/server";
import { baseSpec, canary, connect, declare, describeOnTransports } from "./organisation";

type Spec = ReturnType<typeof baseSpec> & Record<string, unknown>;

async function withClient<T>(
  options: ClientOptions,
  body: (api: ReturnType<typeof createClient>) => Promise<T>,
) {
  const api = createClient(options);
  try {
    return await body(api);
  } finally {
    await api.close();
  }
}

/** The status a call ends with: 200, or the code of the control plane's refusal. */
async function outcome(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return "ok";
  } catch (err) {
    if (TenancyError.isInstance(err)) return err.code;
    throw err;
  }
}

const program = { program: "organisation", config: { "org:secret-db": { secret: canary } } };

describeOnTransports("engine: teams, tokens and ceilings", (_transport, server) => {
  it("gives a team's role to its members, puts a declared list back after drift, and refuses a list beside memberships", async () => {
    await withStack(program, async (stack: TestStack) => {
      const admin = await connect(stack, server(), adminToken);
      const spec: Spec = {
        ...baseSpec(),
        teams: [{ name: "storefront", members: ["user:ada"] }],
        tokens: [{ name: "pipeline", subject: "service:pipeline", expiresIn: "90d", rotateBefore: "7d" }],
      };
      await declare(stack, spec);
      assertOk(await stack.preview(), "preview");
      assertOk(await stack.up(), "up");
      assertOk(await stack.preview("--expect-no-changes"), "no changes after up");

      const pipelineToken = ((await stack.outputs()).tokenValues as Record<string, string>).pipeline!;
      assert.match(pipelineToken, /^tny_/);
      const state = await stack.exportState();
      assert.ok(!state.text.includes(pipelineToken), "the token is in the state in plain text");
      await withClient({ ...admin, token: pipelineToken }, async (api) =>
        assert.ok(await api.domains.list()),
      );

      const ada = await withClient(admin, (api) => api.tokens.create({ name: "ada", subject: "user:ada" }));
      const asAda = { ...admin, token: ada.token };
      const changeWeb = (api: ReturnType<typeof createClient>) =>
        api.projects.get("web").then((p) => api.projects.update("web", { description: "by ada" }, p.version));
      assert.equal(
        await withClient(asAda, (api) => outcome(changeWeb(api))),
        "ok",
        "developer through the team",
      );

      // Drift: ada is taken out by hand; a refresh shows it, and the next up puts her back.
      await withClient(admin, (api) => api.teams.members.remove("storefront", "user:ada"));
      assert.equal(await withClient(asAda, (api) => outcome(api.projects.get("web"))), "not_found");
      assertOk(await stack.refresh(), "refresh");
      const drifted = await stack.preview();
      assertOk(drifted, "preview after drift");
      // The team's list, and the project's description ada changed.
      assert.match(drifted.output, /~ 2 to update/);
      assert.match(drifted.output, /tenancy:Team: \(update\)[\s\S]*members\s*: \[\s*\+ \[0\]: "user:ada"/);
      assertOk(await stack.up(), "up puts the list back");
      assert.equal(await withClient(asAda, (api) => outcome(api.projects.get("web"))), "ok");

      // Both a list and memberships of the same team: refused before anything changes.
      await declare(stack, { ...spec, memberships: [{ team: "storefront", subject: "user:grace" }] });
      const both = await stack.preview();
      assert.notEqual(both.code, 0, both.output);
      assert.match(both.output, /declares its members as one list[\s\S]*keep TeamMember resources/);
      const members = await withClient(admin, (api) => api.teams.members.list("storefront"));
      assert.deepEqual(
        members.map((m) => m.subject),
        ["user:ada"],
      );

      // Memberships instead of the list: the Team gives its list up, the TeamMember adds grace.
      await declare(stack, {
        ...spec,
        teams: [{ name: "storefront" }],
        memberships: [{ team: "storefront", subject: "user:grace" }],
      });
      assertOk(await stack.up(), "up with memberships");
      const team = await withClient(admin, (api) => api.teams.get("storefront"));
      assert.deepEqual([team.members, team.membersAuthoritative], [["user:ada", "user:grace"], false]);

      // Destroying the stack revokes its token.
      assertOk(await stack.destroy(), "destroy");
      assert.equal(
        await withClient({ ...admin, token: pipelineToken }, (api) => outcome(api.domains.list())),
        "unauthorized",
      );
      assert.equal(await withClient(admin, (api) => outcome(api.teams.get("storefront"))), "not_found");
    });
  });

  it("stops quotas over a ceiling at preview through the policy pack, and at up without it", async () => {
    await withStack(program, async (stack: TestStack) => {
      const admin = await connect(stack, server(), adminToken);
      const spec: Spec = {
        ...baseSpec(),
        ceilings: [
          { project: "ml", cpu: "16" },
          { domain: "production", cpu: "64" },
        ],
      };
      // ml-prod asks for 32 CPUs under ml's ceiling of 16.
      await declare(stack, spec);
      const pack = path.join(repoRoot, "policies");
      const policed = await stack.pulumi(["preview", "--policy-pack", pack]);
      assert.notEqual(policed.code, 0);
      assert.match(policed.output, /\[mandatory\]\s+tenancy-quota-capacity/);
      assert.match(policed.output, /ceiling project:ml add up to 32 cpu, more than its limit of 16/);

      const up = await stack.up();
      assert.notEqual(up.code, 0, up.output);
      assert.match(up.output, /quota_exceeded|ceiling project:ml/);
      assert.match(up.output, /ceiling project:ml does not hold \(cpu: the quotas below add up to 32 > 16\)/);

      // Raised to fit, it goes up: the ceiling first, then the quota that depends on it. (A preview
      // judges the quota against the ceiling as it stands, so it would still refuse it.)
      spec.ceilings = [
        { project: "ml", cpu: "40" },
        { domain: "production", cpu: "64" },
      ];
      await declare(stack, spec);
      assertOk(await stack.up(), "up under the ceiling");
      const effective = await withClient(admin, (api) => api.effective.get("ml", "production"));
      assert.deepEqual(
        effective.ceilings.map((c) => `${c.scope}:${c.cpu}:${c.allocated.cpu}`),
        ["project:ml:40:32", "domain:production:64:44"],
      );
      assertOk(await stack.refresh(), "refresh");
      assertOk(await stack.preview("--expect-no-changes"), "no changes after refresh");
    });
  });
});
