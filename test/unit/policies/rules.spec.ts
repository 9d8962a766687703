// Each policy called with fake arguments: a passing and a violating case per rule and per knob.
import { strict as assert } from "node:assert";
import type {
  PolicyResource,
  ResourceValidation,
  ResourceValidationArgs,
  StackValidationArgs,
} from "@pulumi/policy";
import {
  naming,
  productionApproval,
  productionProtected,
  productionQuota,
  quotaCapacity,
  rolesViaTeams,
  secretIsolation,
  types,
} from "../../../policies/rules";

type Kind = keyof typeof types;

function resource(kind: Kind, name: string, props: Record<string, unknown>): PolicyResource {
  return {
    type: types[kind],
    name,
    urn: `urn:pulumi:test::org::${types[kind]}::${name}`,
    props,
  } as unknown as PolicyResource;
}

async function validateResource(
  policy: typeof naming,
  kind: Kind,
  props: Record<string, unknown>,
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const messages: string[] = [];
  const args = {
    ...resource(kind, "r", props),
    getConfig: () => config,
  } as unknown as ResourceValidationArgs;
  await (policy.validateResource as ResourceValidation)(args, (message: string) => messages.push(message));
  return messages;
}

async function validateStack(
  policy: typeof productionProtected,
  resources: PolicyResource[],
  config: Record<string, unknown> = {},
): Promise<string[]> {
  const messages: string[] = [];
  const args = { resources, getConfig: () => config } as unknown as StackValidationArgs;
  await policy.validateStack(args, (message) => messages.push(message));
  return messages;
}

const production = resource("domain", "production", { name: "production", tier: "production" });
const development = resource("domain", "development", { name: "development", tier: "non-production" });

describe("policy tenancy-naming", () => {
  it("passes slugs and quotes the offending field and value otherwise", async () => {
    assert.deepEqual(await validateResource(naming, "project", { name: "web-shop" }), []);
    const [message] = await validateResource(naming, "project", { name: "Web_Shop" });
    assert.match(message!, /name "Web_Shop" must be lowercase/);
  });

  it("checks an environment's default name (its domain) and the project-environment DNS label", async () => {
    assert.deepEqual(
      await validateResource(naming, "environment", { project: "web", domain: "production" }),
      [],
    );
    assert.equal(
      (await validateResource(naming, "environment", { project: "web", domain: "Prod" })).length,
      1,
    );
    const long = await validateResource(naming, "environment", {
      project: "a".repeat(40),
      domain: "production",
      name: "b".repeat(30),
    });
    assert.match(long[0]!, /at most 63 characters/);
  });

  it("skips values not known during preview", async () => {
    assert.deepEqual(
      await validateResource(naming, "environment", { project: undefined, domain: undefined }),
      [],
    );
  });

  it("refuses reserved names, configurable", async () => {
    assert.match((await validateResource(naming, "project", { name: "admin" }))[0]!, /is reserved/);
    assert.deepEqual(await validateResource(naming, "project", { name: "admin" }, { reservedNames: [] }), []);
  });

  it("applies a configured stricter pattern", async () => {
    assert.deepEqual(
      await validateResource(naming, "project", { name: "team-web" }, { pattern: "^team-" }),
      [],
    );
    assert.match(
      (await validateResource(naming, "project", { name: "web" }, { pattern: "^team-" }))[0]!,
      /must match/,
    );
  });
});

describe("policy tenancy-production-approval", () => {
  it("asks production-tier environments for approvers, advisory by default", async () => {
    assert.equal(productionApproval.enforcementLevel, "advisory");
    const prodEnv = (approval: unknown) =>
      resource("environment", "web-prod", { project: "web", domain: "production", approval });
    assert.deepEqual(
      await validateStack(productionApproval, [production, prodEnv({ approvers: ["team:leads"] })]),
      [],
    );
    assert.match(
      (await validateStack(productionApproval, [production, prodEnv(undefined)]))[0]!,
      /web\/production sets no approval/,
    );
    const devEnv = resource("environment", "web-dev", { project: "web", domain: "development" });
    assert.deepEqual(await validateStack(productionApproval, [development, devEnv]), []);
  });
});

describe("policy tenancy-production-protected", () => {
  it("requires protected: true in production-tier domains only", async () => {
    const prodEnv = (p: boolean | undefined) =>
      resource("environment", "web-prod", { project: "web", domain: "production", protected: p });
    assert.deepEqual(await validateStack(productionProtected, [production, prodEnv(true)]), []);
    assert.match(
      (await validateStack(productionProtected, [production, prodEnv(undefined)]))[0]!,
      /web\/production .* set protected: true/,
    );
    const devEnv = resource("environment", "web-dev", { project: "web", domain: "development" });
    assert.deepEqual(await validateStack(productionProtected, [development, devEnv]), []);
  });

  it("falls back to the configured production domains when the stack does not declare the domain", async () => {
    const env = resource("environment", "web-live", { project: "web", domain: "live" });
    assert.deepEqual(await validateStack(productionProtected, [env]), []);
    assert.equal(
      (await validateStack(productionProtected, [env], { productionDomains: ["live"] })).length,
      1,
    );
  });

  it("takes the production tiers from config", async () => {
    const critical = resource("domain", "critical", { name: "critical", tier: "non-production" });
    const env = resource("environment", "web-critical", { project: "web", domain: "critical" });
    assert.deepEqual(await validateStack(productionProtected, [critical, env]), []);
    assert.equal(
      (await validateStack(productionProtected, [critical, env], { productionTiers: ["non-production"] }))
        .length,
      1,
    );
  });
});

describe("policy tenancy-production-quota", () => {
  const env = resource("environment", "web-prod", { project: "web", domain: "production", protected: true });
  it("passes a production environment with a quota", async () => {
    const quota = resource("quota", "q", { project: "web", environment: "production" });
    assert.deepEqual(await validateStack(productionQuota, [production, env, quota]), []);
  });
  it("reports one without, naming it", async () => {
    assert.match(
      (await validateStack(productionQuota, [production, env]))[0]!,
      /web\/production has no Quota/,
    );
  });
  it("follows the configured production domains", async () => {
    const live = resource("environment", "web-live", { project: "web", domain: "live" });
    assert.equal((await validateStack(productionQuota, [live], { productionDomains: ["live"] })).length, 1);
    assert.deepEqual(await validateStack(productionQuota, [live]), []);
  });
});

describe("policy tenancy-secret-isolation", () => {
  const envs = [
    production,
    development,
    resource("environment", "web-prod", { project: "web", domain: "production" }),
    resource("environment", "web-dev", { project: "web", domain: "development" }),
    resource("environment", "api-prod", { project: "api", domain: "production" }),
  ];
  const bind = (project: string, environment: string, reference: string) =>
    resource("secretBinding", `${project}-${environment}`, { project, environment, name: "db", reference });

  it("passes separate references per tier and per project", async () => {
    assert.deepEqual(
      await validateStack(secretIsolation, [
        ...envs,
        bind("web", "production", "vault://web/prod"),
        bind("web", "development", "vault://web/dev"),
      ]),
      [],
    );
  });
  it("reports a production reference also bound outside production", async () => {
    const messages = await validateStack(secretIsolation, [
      ...envs,
      bind("web", "production", "vault://db"),
      bind("web", "development", "vault://db"),
    ]);
    assert.match(
      messages[0]!,
      /"vault:\/\/db" is bound in production \(web\/production\) and outside it \(web\/development\)/,
    );
  });
  it("reports a reference crossing projects", async () => {
    const messages = await validateStack(secretIsolation, [
      ...envs,
      bind("web", "production", "vault://db"),
      bind("api", "production", "vault://db"),
    ]);
    assert.match(messages[0]!, /bound in projects web, api/);
  });
  it("follows the configured production tiers", async () => {
    const messages = await validateStack(
      secretIsolation,
      [...envs, bind("web", "production", "vault://db"), bind("web", "development", "vault://db")],
      { productionTiers: ["none"] },
    );
    assert.deepEqual(messages, []);
  });
});

describe("policy tenancy-roles-via-teams", () => {
  it("is advisory by default", async () => assert.equal(rolesViaTeams.enforcementLevel, "advisory"));
  it("passes teams and services, reports users", async () => {
    assert.deepEqual(
      await validateResource(rolesViaTeams, "roleBinding", { subject: "team:storefront" }),
      [],
    );
    assert.deepEqual(await validateResource(rolesViaTeams, "roleBinding", { subject: "service:ci" }), []);
    assert.match(
      (await validateResource(rolesViaTeams, "roleBinding", { subject: "user:alice" }))[0]!,
      /"user:alice" is a user/,
    );
  });
  it("takes the allowed subject kinds from config", async () => {
    assert.deepEqual(
      await validateResource(
        rolesViaTeams,
        "roleBinding",
        { subject: "user:alice" },
        { allowedSubjectKinds: ["user"] },
      ),
      [],
    );
  });
});

describe("policy tenancy-quota-capacity", () => {
  const envs = [
    resource("environment", "web-prod", { project: "web", domain: "production" }),
    resource("environment", "web-dev", { project: "web", domain: "development" }),
    resource("environment", "api-prod", { project: "api", domain: "production" }),
  ];
  const quota = (name: string, props: Record<string, unknown>) => resource("quota", name, props);
  const below = [
    quota("q1", {
      project: "web",
      environment: "production",
      cpu: "24",
      memory: "48Gi",
      maxConcurrentExecutions: 20,
    }),
    quota("q2", { project: "web", environment: "development", cpu: "8000m", memory: "16Gi" }),
    quota("q3", { project: "api", environment: "production", cpu: 16, gpu: 4 }),
  ];

  it("is mandatory by default", () => assert.equal(quotaCapacity.enforcementLevel, "mandatory"));

  it("passes quotas that fit under a project and a domain ceiling", async () => {
    const ceilings = [
      quota("web", { project: "web", cpu: "32", memory: "64Gi" }),
      quota("prod", { domain: "production", cpu: 40, gpu: "4", maxConcurrentExecutions: 20 }),
    ];
    assert.deepEqual(await validateStack(quotaCapacity, [...envs, ...below, ...ceilings]), []);
  });

  it("names the ceiling, the dimension, the sum and the limit", async () => {
    const messages = await validateStack(quotaCapacity, [
      ...envs,
      ...below,
      quota("web", { project: "web", memory: "32Gi" }),
      quota("prod", { domain: "production", cpu: "39", maxConcurrentExecutions: 10 }),
    ]);
    assert.equal(messages.length, 3, messages.join("\n"));
    assert.match(
      messages[0]!,
      /ceiling project:web add up to 64Gi memory, more than its limit of 32Gi \(web\/production 48Gi, web\/development 16Gi\)/,
    );
    assert.match(messages[1]!, /ceiling domain:production add up to 40 cpu, more than its limit of 39/);
    assert.match(
      messages[2]!,
      /domain:production add up to 20 maxConcurrentExecutions, more than its limit of 10/,
    );
  });

  it("skips values not known during preview", async () => {
    const unknownCpu = quota("q4", { project: "web", environment: "staging", cpu: undefined });
    const ceiling = quota("web", { project: "web", cpu: "32" });
    assert.deepEqual(await validateStack(quotaCapacity, [...envs, ...below, unknownCpu, ceiling]), []);
  });
});
