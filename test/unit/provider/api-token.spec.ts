// The ApiToken hooks against a fake client and a fixed clock: rotation inside the window is a
// create-before-delete replacement, a revoked or expired token reads as gone, delete revokes.
import { strict as assert } from "node:assert";
import { TenancyError, type IssuedToken, type Token } from "../../../model";
import type { TenancyClient, WriteOwnership } from "../../../client";
import { apiTokenProviderFor, dueForRotation } from "../../../provider/api-token";

const day = 86_400_000;
const start = new Date("2026-06-01T00:00:00.000Z");

function fakeTokens() {
  const tokens = new Map<string, Token>();
  const calls: string[] = [];
  let n = 0;
  const api = (ownership: WriteOwnership = {}): TenancyClient =>
    ({
      as: (next: WriteOwnership) => api(next),
      tokens: {
        create: async (body: { name: string; subject: string; expiresAt?: string }): Promise<IssuedToken> => {
          calls.push(`create ${body.name}${ownership.dryRun ? " (dry run)" : ""}`);
          const token: Token = {
            id: `tok_${++n}`,
            name: body.name,
            subject: body.subject,
            teams: [],
            orgAdmin: false,
            ...(body.expiresAt ? { expiresAt: body.expiresAt } : {}),
            createdAt: start.toISOString(),
            managedBy: ownership.owner ? { stack: "dev", urn: ownership.owner } : null,
          };
          if (!ownership.dryRun) tokens.set(token.id, token);
          return { ...token, token: `tny_secret_${n}` };
        },
        get: async (id: string) => {
          calls.push(`get ${id}`);
          const token = tokens.get(id);
          if (!token) throw new TenancyError("not_found", `Token ${id} does not exist`);
          return token;
        },
        revoke: async (id: string) => {
          calls.push(`revoke ${id}`);
          const token = tokens.get(id);
          if (!token) throw new TenancyError("not_found", `Token ${id} does not exist`);
          tokens.set(id, { ...token, revokedAt: start.toISOString() });
        },
      },
    }) as unknown as TenancyClient;
  return { api, tokens, calls };
}

describe("ApiToken provider", () => {
  const inputs = { name: "pipeline", subject: "service:pipeline", expiresIn: "90d", rotateBefore: "7d" };

  it("issues a token whose secret is an output and whose id is the token's", async () => {
    const fake = fakeTokens();
    const provider = apiTokenProviderFor(
      () => fake.api(),
      () => start,
    );
    const created = await provider.create({
      ...inputs,
      managedBy: { stack: "dev", urn: "urn:pulumi:dev::o::t::pipeline" },
    });
    assert.equal(created.id, "tok_1");
    assert.equal(created.outs.token, "tny_secret_1");
    assert.equal(created.outs.expiresAt, new Date(start.getTime() + 90 * day).toISOString());
    assert.equal(created.outs.managedBy?.urn, "urn:pulumi:dev::o::t::pipeline");
  });

  it("replaces create-before-delete inside the rotation window, and not before", async () => {
    const provider = apiTokenProviderFor(
      () => fakeTokens().api(),
      () => new Date(start.getTime() + 84 * day),
    );
    const olds = { ...inputs, expiresAt: new Date(start.getTime() + 90 * day).toISOString() };
    const inside = await provider.diff("tok_1", olds, inputs);
    assert.deepEqual(inside.replaces, ["expiresAt"]);
    assert.equal(inside.deleteBeforeReplace, false);
    const early = apiTokenProviderFor(
      () => fakeTokens().api(),
      () => new Date(start.getTime() + 80 * day),
    );
    assert.equal((await early.diff("tok_1", olds, inputs)).changes, false);
    assert.equal(dueForRotation({ expiresAt: olds.expiresAt }, new Date(start.getTime() + 89 * day)), false);
    assert.equal(dueForRotation({ expiresAt: olds.expiresAt }, new Date(start.getTime() + 90 * day)), true);
  });

  it("re-issues on any change but rotateBefore, which is an update", async () => {
    const provider = apiTokenProviderFor(
      () => fakeTokens().api(),
      () => start,
    );
    const olds = { ...inputs, expiresAt: new Date(start.getTime() + 90 * day).toISOString() };
    assert.deepEqual((await provider.diff("t", olds, { ...inputs, subject: "service:other" })).replaces, [
      "subject",
    ]);
    const retimed = await provider.diff("t", olds, { ...inputs, rotateBefore: "14d" });
    assert.deepEqual([retimed.changes, retimed.replaces], [true, []]);
  });

  it("reads a revoked or expired token as gone, and revokes on delete", async () => {
    const fake = fakeTokens();
    let now = start;
    const provider = apiTokenProviderFor(
      () => fake.api(),
      () => now,
    );
    const { id, outs } = await provider.create(inputs);
    assert.equal((await provider.read(id, outs)).id, id);
    now = new Date(start.getTime() + 91 * day);
    assert.equal((await provider.read(id, outs)).id, "", "expired");
    now = start;
    await provider.delete(id, outs);
    assert.ok(fake.tokens.get(id)!.revokedAt);
    assert.equal((await provider.read(id, outs)).id, "", "revoked");
    await provider.delete("tok_gone", outs); // already gone: what delete wanted
  });

  it("refuses adoption and bad durations at check, offline", async () => {
    const fake = fakeTokens();
    const provider = apiTokenProviderFor(
      () => fake.api(),
      () => start,
    );
    const adopted = await provider.check({}, { ...inputs, adopt: true });
    assert.equal(adopted.failures[0]?.property, "adopt");
    const bad = await provider.check({}, { ...inputs, expiresIn: "90 days" });
    assert.equal(bad.failures[0]?.property, "expiresIn");
    assert.deepEqual(fake.calls, []);
  });

  it("dry-runs the issue in a preview, and says nothing for an unchanged token", async () => {
    const fake = fakeTokens();
    const provider = apiTokenProviderFor(
      () => fake.api(),
      () => start,
    );
    await provider.check({}, { ...inputs, __tenancy: { preview: true } });
    assert.deepEqual(fake.calls, ["create pipeline (dry run)"]);
    await provider.check({ ...inputs }, { ...inputs, __tenancy: { preview: true } });
    assert.deepEqual(fake.calls, ["create pipeline (dry run)"]);
  });
});
