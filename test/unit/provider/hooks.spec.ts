// The CRUD hooks against a fake client: not-found is state, creates converge, errors name the object.
import { strict as assert } from "node:assert";
import { TenancyError, type Domain } from "../../../model";
import type { TenancyClient } from "../../../client";
import { providerFor } from "../../../provider/kind-provider";
import { domainSpec } from "../../../provider/domain";

/** An in-memory stand-in for the domains part of the API, with the control plane's error codes. */
function fakeDomains() {
  const store = new Map<string, Domain>();
  const calls: string[] = [];
  const now = "2026-01-01T00:00:00.000Z";
  const missing = (name: string) => new TenancyError("not_found", `Domain ${name} does not exist`);
  const domains = {
    get: async (name: string) => {
      calls.push(`get ${name}`);
      const d = store.get(name);
      if (!d) throw missing(name);
      return d;
    },
    create: async (body: Omit<Domain, "version" | "createdAt" | "updatedAt">) => {
      calls.push(`create ${body.name}`);
      if (store.has(body.name)) throw new TenancyError("conflict", `Domain ${body.name} already exists`);
      const d = { ...body, version: 1, createdAt: now, updatedAt: now } as Domain;
      store.set(body.name, d);
      return d;
    },
    update: async (name: string, patch: Record<string, unknown>, version: number) => {
      calls.push(`update ${name}@${version}`);
      const d = store.get(name);
      if (!d) throw missing(name);
      if (d.version !== version)
        throw new TenancyError(
          "version_mismatch",
          `Domain ${name} is at version ${d.version}, not ${version}`,
        );
      const next = { ...d, ...patch, version: d.version + 1 } as Domain;
      for (const [k, v] of Object.entries(patch)) if (v === null) delete (next as Record<string, unknown>)[k];
      store.set(name, next);
      return next;
    },
    delete: async (name: string) => {
      calls.push(`delete ${name}`);
      if (!store.delete(name)) throw missing(name);
    },
  };
  return { store, calls, client: { domains } as unknown as TenancyClient };
}

describe("provider hooks", () => {
  it("creates, reads, updates with the stored version, and deletes", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    const created = await provider.create({ name: "production", tier: "production", order: 30 });
    assert.equal(created.id, "production");
    assert.equal(created.outs.version, 1);
    const read = await provider.read("production", created.outs);
    assert.deepEqual(read.inputs, { name: "production", tier: "production", order: 30 });
    const updated = await provider.update("production", created.outs, {
      name: "production",
      tier: "production",
      description: "live",
    });
    assert.equal(updated.outs.version, 2);
    assert.equal(updated.outs.order, undefined, "a field dropped from the program is cleared");
    assert.ok(fake.calls.includes("update production@1"));
    await provider.delete("production", updated.outs);
    assert.equal(fake.store.size, 0);
  });

  it("treats a vanished object as state: read returns an empty id, delete succeeds", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    const props = { name: "gone", tier: "production" as const, version: 1, createdAt: "t", updatedAt: "t" };
    assert.deepEqual(await provider.read("gone", props), { id: "" });
    await provider.delete("gone", props);
  });

  it("converges when a create landed but its answer was lost, and refuses a foreign object", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    await fake.client.domains.create({ name: "staging", tier: "non-production" });
    const rerun = await provider.create({ name: "staging", tier: "non-production" });
    assert.equal(rerun.outs.version, 1);
    await assert.rejects(provider.create({ name: "staging", tier: "production" }), (err: Error) => {
      assert.match(
        err.message,
        /^Could not create Domain staging: Domain staging already exists\. .*set adopt: true/,
      );
      return true;
    });
  });

  it("adopts an existing object with adopt: true, bringing it to the declared state", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    await fake.client.domains.create({ name: "qa", tier: "non-production", order: 5 });
    const adopted = await provider.create({ name: "qa", tier: "non-production", order: 15, adopt: true });
    assert.equal(fake.store.get("qa")!.order, 15);
    assert.equal((adopted.outs as unknown as { adopt: boolean }).adopt, true);
  });

  it("tells the user to refresh when the object changed outside the stack", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    const created = await provider.create({ name: "production", tier: "production" });
    await fake.client.domains.update("production", { description: "changed elsewhere" }, 1);
    await assert.rejects(
      provider.update("production", created.outs, { name: "production", tier: "production", order: 1 }),
      (err: Error & { code?: string }) => {
        assert.match(err.message, /^Could not update Domain production: .*run `pulumi refresh`/);
        assert.equal(err.code, "version_mismatch");
        assert.ok(TenancyError.isInstance(err.cause));
        return true;
      },
    );
  });
});
