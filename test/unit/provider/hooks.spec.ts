// The CRUD hooks against a fake client: not-found is state, creates converge, errors name the object.
import { strict as assert } from "node:assert";
import { TenancyError, type Domain } from "../../../model";
import type { TenancyClient, WriteOwnership } from "../../../client";
import { providerFor } from "../../../provider/kind-provider";
import { domainSpec } from "../../../provider/domain";

/** An in-memory stand-in for the domains part of the API, with the control plane's error codes and
 * its ownership rules: the owner and claim a write carries are recorded on create and adoption, and
 * a change or delete with a claim the object no longer holds is refused, naming its manager. */
function fakeDomains() {
  type Stored = Domain & { claim?: string };
  const store = new Map<string, Stored>();
  const calls: string[] = [];
  const now = "2026-01-01T00:00:00.000Z";
  const missing = (name: string) => new TenancyError("not_found", `Domain ${name} does not exist`);
  const managerOf = (ownership: WriteOwnership) =>
    ownership.owner
      ? { stack: ownership.owner.split("::")[0]!.replace("urn:pulumi:", ""), urn: ownership.owner }
      : null;
  const checkClaim = (d: Stored, ownership: WriteOwnership) => {
    if (!ownership.adopt && ownership.claim !== undefined && d.claim !== ownership.claim) {
      throw new TenancyError("conflict", `Domain ${d.name} is managed by someone else now`, {
        managedBy: d.managedBy,
      });
    }
  };
  const domains = (ownership: WriteOwnership) => ({
    get: async (name: string) => {
      calls.push(`get ${name}`);
      const d = store.get(name);
      if (!d) throw missing(name);
      return d;
    },
    create: async (body: Omit<Domain, "version" | "createdAt" | "updatedAt" | "managedBy">) => {
      calls.push(`create ${body.name}`);
      if (store.has(body.name)) throw new TenancyError("conflict", `Domain ${body.name} already exists`);
      const d: Stored = {
        ...body,
        version: 1,
        createdAt: now,
        updatedAt: now,
        managedBy: managerOf(ownership),
      };
      if (ownership.claim) d.claim = ownership.claim;
      store.set(body.name, d);
      return d;
    },
    update: async (name: string, patch: Record<string, unknown>, version: number) => {
      calls.push(`update ${name}@${version}`);
      const d = store.get(name);
      if (!d) throw missing(name);
      checkClaim(d, ownership);
      if (d.version !== version)
        throw new TenancyError(
          "version_mismatch",
          `Domain ${name} is at version ${d.version}, not ${version}`,
        );
      const next = { ...d, ...patch, version: d.version + 1 } as Stored;
      if (ownership.adopt) Object.assign(next, { managedBy: managerOf(ownership), claim: ownership.claim });
      for (const [k, v] of Object.entries(patch)) if (v === null) delete (next as Record<string, unknown>)[k];
      store.set(name, next);
      return next;
    },
    delete: async (name: string) => {
      calls.push(`delete ${name}`);
      const d = store.get(name);
      if (!d) throw missing(name);
      checkClaim(d, ownership);
      store.delete(name);
    },
  });
  const clientWith = (ownership: WriteOwnership): TenancyClient =>
    ({
      domains: domains(ownership),
      as: (next: WriteOwnership) => clientWith(next),
    }) as unknown as TenancyClient;
  return { store, calls, client: clientWith({}) };
}

const urn = (name: string) => `urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Domain::${name}`;
const owned = (name: string) => ({ managedBy: { stack: "prod", urn: urn(name) } });

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

  it("gives an object back to the resource that created it, and refuses anyone else's", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    // A create that landed, its answer lost: the same resource creating it again takes it back.
    const first = await provider.create({ name: "staging", tier: "non-production", ...owned("staging") });
    const rerun = await provider.create({ name: "staging", tier: "non-production", ...owned("staging") });
    assert.equal(rerun.outs.version, 2, "the claim moved to the rerun");
    assert.notEqual(rerun.outs.claim, first.outs.claim);
    // The earlier copy's delete (a replacement's "delete the original") leaves it in place.
    await provider.delete("staging", first.outs);
    assert.ok(fake.store.has("staging"), "a stale claim deleted the object");
    await assert.rejects(
      provider.create({ name: "staging", tier: "non-production", ...owned("other") }),
      (err: Error) => {
        assert.match(
          err.message,
          /^Could not create Domain staging: it already exists, managed by urn:pulumi:prod::org::.*::staging \(stack prod\)\. .*set adopt: true/,
        );
        return true;
      },
    );
    await assert.rejects(
      provider.update("staging", first.outs, { name: "staging", tier: "non-production", order: 1 }),
      /This resource no longer manages it/,
    );
  });

  it("adopts an existing object with adopt: true, bringing it to the declared state", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    await fake.client.domains.create({ name: "qa", tier: "non-production", order: 5 });
    const adopted = await provider.create({ name: "qa", tier: "non-production", order: 15, adopt: true });
    assert.equal(fake.store.get("qa")!.order, 15);
    assert.equal((adopted.outs as unknown as { adopt: boolean }).adopt, true);
  });

  it("converges when the object moved on to exactly what it declares, as an approved change request leaves it", async () => {
    const fake = fakeDomains();
    const provider = providerFor(domainSpec, () => fake.client);
    const created = await provider.create({ name: "production", tier: "production" });
    // The approver's approval applied this stack's write: the object holds the declared order.
    await fake.client.domains.update("production", { order: 7 }, 1);
    const updated = await provider.update("production", created.outs, {
      name: "production",
      tier: "production",
      order: 7,
    });
    assert.equal((updated.outs as unknown as Domain).order, 7);
    assert.equal((updated.outs as unknown as Domain).version, 2);
    assert.equal(fake.store.get("production")!.version, 2, "nothing written again");
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
