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
  productionProtected,
  productionQuota,
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

function validateResource(
  policy: typeof naming,
  kind: Kind,
  props: Record<string, unknown>,
  config: Record<string, unknown> = {},
): string[] {
  const messages: string[] = [];
  const args = {
    ...resource(kind, "r", props),
    getConfig: () => config,
  } as unknown as ResourceValidationArgs;
  void (policy.validateResource as ResourceValidation)(args, (message: string) => messages.push(message));
  return messages;
}

function validateStack(
  policy: typeof productionProtected,
  resources: PolicyResource[],
  config: Record<string, unknown> = {},
): string[] {
  const messages: string[] = [];
  const args = { resources, getConfig: () => config } as unknown as StackValidationArgs;
  void policy.validateStack(args, (message) => messages.push(message));
  return messages;
}

const production = resource("domain", "production", { name: "production", tier: "production" });
const development = resource("domain", "development", { name: "development", tier: "non-production" });

describe("policy tenancy-naming", () => {
  it("passes slugs and quotes the offending field and value otherwise", () => {
    assert.deepEqual(validateResource(naming, "project", { name: "web-shop" }), []);
    const [message] = validateResource(naming, "project", { name: "Web_Shop" });
    assert.match(message!, /name "Web_Shop" must be lowercase/);
  });

  it("checks an environment's default name (its domain) and the project-environment DNS label", () => {
    assert.deepEqual(validateResource(naming, "environment", { project: "web", domain: "production" }), []);
    assert.equal(validateResource(naming, "environment", { project: "web", domain: "Prod" }).length, 1);
    const long = validateResource(naming, "environment", {
      project: "a".repeat(40),
      domain: "production",
      name: "b".repeat(30),
    });
    assert.match(long[0]!, /at most 63 characters/);
  });

  it("skips values not known during preview", () => {
    assert.deepEqual(validateResource(naming, "environment", { project: undefined, domain: undefined }), []);
  });

  it("refuses reserved names, configurable", () => {
    assert.match(validateResource(naming, "project", { name: "admin" })[0]!, /is reserved/);
    assert.deepEqual(validateResource(naming, "project", { name: "admin" }, { reservedNames: [] }), []);
  });

  it("applies a configured stricter pattern", () => {
    assert.deepEqual(validateResource(naming, "project", { name: "team-web" }, { pattern: "^team-" }), []);
    assert.match(
      validateResource(naming, "project", { name: "web" }, { pattern: "^team-" })[0]!,
      /must match/,
    );
  });
});

describe("policy tenancy-production-protected", () => {
  it("requires protected: true in production-tier domains only", () => {
    const prodEnv = (p: boolean | undefined) =>
      resource("environment", "web-prod", { project: "web", domain: "production", protected: p });
    assert.deepEqual(validateStack(productionProtected, [production, prodEnv(true)]), []);
    assert.match(
      validateStack(productionProtected, [production, prodEnv(undefined)])[0]!,
      /web\/production .* set protected: true/,
    );
    const devEnv = resource("environment", "web-dev", { project: "web", domain: "development" });
    assert.deepEqual(validateStack(productionProtected, [development, devEnv]), []);
  });

  it("falls back to the configured production domains when the stack does not declare the domain", () => {
    const env = resource("environment", "web-live", { project: "web", domain: "live" });
    assert.deepEqual(validateStack(productionProtected, [env]), []);
    assert.equal(validateStack(productionProtected, [env], { productionDomains: ["live"] }).length, 1);
  });

  it("takes the production tiers from config", () => {
    const critical = resource("domain", "critical", { name: "critical", tier: "non-production" });
    const env = resource("environment", "web-critical", { project: "web", domain: "critical" });
    assert.deepEqual(validateStack(productionProtected, [critical, env]), []);
    assert.equal(
      validateStack(productionProtected, [critical, env], { productionTiers: ["non-production"] }).length,
      1,
    );
  });
});

describe("policy tenancy-production-quota", () => {
  const env = resource("environment", "web-prod", { project: "web", domain: "production", protected: true });
  it("passes a production environment with a quota", () => {
    const quota = resource("quota", "q", { project: "web", environment: "production" });
    assert.deepEqual(validateStack(productionQuota, [production, env, quota]), []);
  });
  it("reports one without, naming it", () => {
    assert.match(validateStack(productionQuota, [production, env])[0]!, /web\/production has no Quota/);
  });
  it("follows the configured production domains", () => {
    const live = resource("environment", "web-live", { project: "web", domain: "live" });
    assert.equal(validateStack(productionQuota, [live], { productionDomains: ["live"] }).length, 1);
    assert.deepEqual(validateStack(productionQuota, [live]), []);
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

  it("passes separate references per tier and per project", () => {
    assert.deepEqual(
      validateStack(secretIsolation, [
        ...envs,
        bind("web", "production", "vault://web/prod"),
        bind("web", "development", "vault://web/dev"),
      ]),
      [],
    );
  });
  it("reports a production reference also bound outside production", () => {
    const messages = validateStack(secretIsolation, [
      ...envs,
      bind("web", "production", "vault://db"),
      bind("web", "development", "vault://db"),
    ]);
    assert.match(
      messages[0]!,
      /"vault:\/\/db" is bound in production \(web\/production\) and outside it \(web\/development\)/,
    );
  });
  it("reports a reference crossing projects", () => {
    const messages = validateStack(secretIsolation, [
      ...envs,
      bind("web", "production", "vault://db"),
      bind("api", "production", "vault://db"),
    ]);
    assert.match(messages[0]!, /bound in projects web, api/);
  });
  it("follows the configured production tiers", () => {
    const messages = validateStack(
      secretIsolation,
      [...envs, bind("web", "production", "vault://db"), bind("web", "development", "vault://db")],
      { productionTiers: ["none"] },
    );
    assert.deepEqual(messages, []);
  });
});

describe("policy tenancy-roles-via-teams", () => {
  it("is advisory by default", () => assert.equal(rolesViaTeams.enforcementLevel, "advisory"));
  it("passes teams and services, reports users", () => {
    assert.deepEqual(validateResource(rolesViaTeams, "roleBinding", { subject: "team:storefront" }), []);
    assert.deepEqual(validateResource(rolesViaTeams, "roleBinding", { subject: "service:ci" }), []);
    assert.match(
      validateResource(rolesViaTeams, "roleBinding", { subject: "user:alice" })[0]!,
      /"user:alice" is a user/,
    );
  });
  it("takes the allowed subject kinds from config", () => {
    assert.deepEqual(
      validateResource(
        rolesViaTeams,
        "roleBinding",
        { subject: "user:alice" },
        { allowedSubjectKinds: ["user"] },
      ),
      [],
    );
  });
});
