// check and diff of every kind: offline, data not exceptions, normalised so diffs are stable.
import { strict as assert } from "node:assert";
import type { TenancyClient } from "../../../client";
import { TenancyError } from "../../../model";
import { providerFor, unknownValue } from "../../../provider/kind-provider";
import { domainProvider } from "../../../provider/domain";
import { environmentProvider } from "../../../provider/environment";
import { projectProvider } from "../../../provider/project";
import { quotaProvider } from "../../../provider/quota";
import { resourceDefaultsProvider } from "../../../provider/resource-defaults";
import { roleBindingProvider } from "../../../provider/role-binding";
import { secretBindingProvider, secretBindingSpec } from "../../../provider/secret-binding";

const meta = { version: 3, createdAt: "t", updatedAt: "t" };

describe("provider check", () => {
  it("reports each failure with its property path instead of throwing", async () => {
    const result = await domainProvider.check({}, { name: "Prod!", tier: "live" });
    assert.deepEqual(result.failures.map((f) => f.property).sort(), ["name", "tier"]);
    const defaults = await resourceDefaultsProvider.check(
      {},
      { domain: "production", requests: { cpu: "lots" } },
    );
    assert.deepEqual(
      defaults.failures.map((f) => f.property),
      ["requests.cpu"],
    );
  });

  it("normalises quantities and label order", async () => {
    const quota = await quotaProvider.check(
      {},
      { project: "web", environment: "production", cpu: "2000m", memory: "2048Mi" },
    );
    assert.deepEqual(quota.failures, []);
    assert.deepEqual([quota.inputs.cpu, quota.inputs.memory], ["2", "2Gi"]);
    const project = await projectProvider.check({}, { name: "web", labels: { zeta: "1", alpha: "2" } });
    assert.deepEqual(Object.keys(project.inputs.labels as object), ["alpha", "zeta"]);
  });

  it("defaults an environment's name to its domain, and leaves unknowns unjudged", async () => {
    const named = await environmentProvider.check({}, { project: "web", domain: "production" });
    assert.equal(named.inputs.name, "production");
    const pending = await environmentProvider.check({}, { project: unknownValue, domain: unknownValue });
    assert.deepEqual(pending.failures, []);
    assert.equal(pending.inputs.name, unknownValue);
  });

  it("enforces exactly one scope for defaults and one source for secrets", async () => {
    const both = await resourceDefaultsProvider.check({}, { domain: "production", project: "web" });
    assert.equal(both.failures[0]!.property, "domain");
    const orphanEnv = await resourceDefaultsProvider.check({}, { environment: "production" });
    assert.ok(orphanEnv.failures.some((f) => f.property === "environment"));
    const none = await secretBindingProvider.check(
      {},
      { project: "web", environment: "production", name: "db" },
    );
    // A failure on the secret field is reported on the resource, naming the field in the reason.
    assert.deepEqual(none.failures[0], {
      property: "",
      reason: "value: give exactly one of value or reference",
    });
  });

  it("checks role binding subjects and roles", async () => {
    const result = await roleBindingProvider.check({}, { project: "web", subject: "alice", role: "owner" });
    assert.deepEqual(result.failures.map((f) => f.property).sort(), ["role", "subject"]);
  });

  it("keeps the adopt flag out of validation", async () => {
    const result = await projectProvider.check({}, { name: "web", adopt: true, __provider: "code" });
    assert.deepEqual(result.failures, []);
    assert.equal(result.inputs.adopt, true);
    assert.equal(result.inputs.__provider, undefined);
  });
});

describe("provider diff", () => {
  it("reports no change when nothing changed, whatever the stored metadata", async () => {
    const olds = { name: "web", labels: { a: "1" }, ...meta };
    assert.deepEqual(
      (await projectProvider.diff("web", olds, { name: "web", labels: { a: "1" } })).changes,
      false,
    );
  });

  it("replaces on immutable fields, deleting first since names are unique", async () => {
    const d = await domainProvider.diff(
      "production",
      { name: "production", tier: "production", ...meta },
      { name: "production", tier: "non-production" },
    );
    assert.deepEqual(d.replaces, ["tier"]);
    assert.equal(d.deleteBeforeReplace, true);
    const p = await projectProvider.diff("web", { name: "web", ...meta }, { name: "shop" });
    assert.deepEqual(p.replaces, ["name"]);
  });

  it("updates mutable fields in place", async () => {
    const d = await environmentProvider.diff(
      "web/production",
      { project: "web", name: "production", domain: "production", ...meta },
      { project: "web", name: "production", domain: "production", protected: true },
    );
    assert.equal(d.changes, true);
    assert.deepEqual(d.replaces, []);
  });

  it("transfers an environment to a known project, and is replaced with a project being replaced", async () => {
    const olds = { project: "web", name: "staging", domain: "staging", ...meta };
    const transfer = await environmentProvider.diff("web/staging", olds, {
      project: "ml",
      name: "staging",
      domain: "staging",
    });
    assert.deepEqual([transfer.changes, transfer.replaces], [true, []]);
    const replaced = await environmentProvider.diff("web/staging", olds, {
      project: unknownValue,
      name: "staging",
      domain: "staging",
    });
    assert.deepEqual(replaced.replaces, ["project"]);
  });

  it("refuses, in diff, to replace an environment the state holds as protected, however it is declared", async () => {
    const olds = { project: "web", name: "production", domain: "production", protected: true, ...meta };
    await assert.rejects(
      environmentProvider.diff("web/production", olds, {
        project: unknownValue,
        name: "production",
        domain: "production",
        protected: unknownValue,
      }),
      /Could not replace Environment web\/production: it is protected/,
    );
    // Changes in place, a transfer included, are the control plane's to judge.
    const moved = await environmentProvider.diff("web/production", olds, {
      project: "ml",
      name: "production",
      domain: "production",
      protected: true,
    });
    assert.deepEqual(moved.replaces, []);
  });

  it("sees a new secret value as an update and a new name as a replacement", async () => {
    const olds = {
      project: "web",
      environment: "production",
      name: "db",
      value: "one",
      valueVersion: 1,
      ...meta,
    };
    const rotate = await secretBindingProvider.diff("x", olds, {
      project: "web",
      environment: "production",
      name: "db",
      value: "two",
    });
    assert.deepEqual([rotate.changes, rotate.replaces], [true, []]);
    const rename = await secretBindingProvider.diff("x", olds, {
      project: "web",
      environment: "production",
      name: "db2",
      value: "one",
    });
    assert.deepEqual(rename.replaces, ["name"]);
  });

  it("replaces a role binding on any change", async () => {
    const d = await roleBindingProvider.diff(
      "x",
      { project: "web", subject: "team:a", role: "viewer", bindingId: "rb", ...meta },
      { project: "web", subject: "team:a", role: "admin" },
    );
    assert.deepEqual(d.replaces, ["role"]);
  });

  it("updates a quota or secret binding whose environment resource to go with changed, for its manager", async () => {
    const urn = "urn:pulumi:s::p::pulumi-nodejs:dynamic/tenancy:Quota::q";
    const envUrn = "urn:pulumi:s::p::pulumi-nodejs:dynamic/tenancy:Environment::e";
    const fields = { project: "web", environment: "production", cpu: "2" };
    const quota = quotaProvider;
    const olds = { ...fields, managedBy: { stack: "s", urn } };
    const recorded = await quota.diff("web/production", olds, {
      ...fields,
      managedBy: { stack: "s", urn, deletedWith: envUrn },
    });
    assert.equal(recorded.changes, true);
    assert.deepEqual(recorded.replaces, []);
    const same = await quota.diff(
      "web/production",
      { ...olds, managedBy: { stack: "s", urn, deletedWith: envUrn } },
      {
        ...fields,
        managedBy: { stack: "s", urn, deletedWith: envUrn },
      },
    );
    assert.equal(same.changes, false);
    // Another manager's object is not this resource's to update.
    const other = await quota.diff(
      "web/production",
      { ...fields, managedBy: { stack: "t", urn: "urn:pulumi:t::p::x::y" } },
      {
        ...fields,
        managedBy: { stack: "s", urn, deletedWith: envUrn },
      },
    );
    assert.equal(other.changes, false);
  });

  it("compares quotas after normalisation", async () => {
    const olds = { project: "web", environment: "production", cpu: "2", ...meta };
    const news = (await quotaProvider.check({}, { project: "web", environment: "production", cpu: "2000m" }))
      .inputs;
    assert.equal((await quotaProvider.diff("web/production", olds, news)).changes, false);
  });
});

describe("secret inputs in messages", () => {
  const canary = "canary-e3b0c442-never-print";

  it("never names a secret field in a check failure, nor quotes its value", async () => {
    const cases: Record<string, unknown>[] = [
      { project: "web", environment: "production", name: "db", value: canary, reference: "vault://x" },
      { project: "web", environment: "production", name: "db", value: canary.repeat(3000) },
      { project: "web", environment: "production", name: "Bad Name", value: canary },
      { project: "web", environment: "production", name: "db", value: "" },
    ];
    for (const inputs of cases) {
      const { failures } = await secretBindingProvider.check({}, inputs);
      assert.ok(failures.length > 0, JSON.stringify(Object.keys(inputs)));
      for (const failure of failures) {
        assert.notEqual(failure.property, "value", "the engine would print the value of this property");
        assert.ok(!failure.reason.includes(canary), failure.reason);
      }
    }
    const both = await secretBindingProvider.check({}, cases[0]!);
    assert.deepEqual(both.failures, [
      { property: "", reason: "value: give exactly one of value or reference" },
    ]);
  });

  it("keeps the value out of diffs", async () => {
    const olds = {
      project: "web",
      environment: "production",
      name: "db",
      value: "old",
      ...meta,
      valueVersion: 1,
    };
    const diff = await secretBindingProvider.diff("web/production/db", olds, { ...olds, value: canary });
    assert.ok(!JSON.stringify(diff).includes(canary));
  });
});

describe("secret inputs in create, update and delete messages", () => {
  const canary = "canary-hooks-7d1e-never-print";
  const refusing = (code: "validation_failed" | "conflict" | "forbidden") => {
    const refuse = async () => {
      throw new TenancyError(code, `SecretBinding web/production/db refused (${code})`);
    };
    const secrets = { get: refuse, create: refuse, update: refuse, delete: refuse, list: refuse };
    const client = { secrets, as: () => client } as unknown as TenancyClient;
    return providerFor(secretBindingSpec, () => client);
  };
  const inputs = { project: "web", environment: "production", name: "db", value: canary };
  const outs = { ...inputs, ...meta, valueVersion: 1, managedBy: null, claim: "c" };

  for (const code of ["validation_failed", "conflict", "forbidden"] as const) {
    it(`keeps the value out of every hook's error (${code})`, async () => {
      const provider = refusing(code);
      for (const call of [
        () => provider.create(inputs),
        () => provider.update("web/production/db", outs, { ...inputs, value: `${canary}-2` }),
        () => provider.delete("web/production/db", outs),
        () => provider.read("web/production/db", outs),
      ]) {
        const error = await call().then(
          () => undefined,
          (err: Error) => err,
        );
        if (error) assert.ok(!`${error.message} ${error.stack}`.includes(canary), error.message);
      }
    });
  }
});
