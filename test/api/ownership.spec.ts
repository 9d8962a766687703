// Ownership claims and dry runs over HTTP: every object records the resource that manages it; a
// write with a claim the object no longer holds is refused, naming the manager; adoption moves the
// claim; `?dryRun=true` runs every rule and stores nothing.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const urnA = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Project::web-a";
const urnB = "urn:pulumi:staging::org::pulumi-nodejs:dynamic/tenancy:Project::web-b";
const as = (owner: string | undefined, claim: string, extra: Record<string, string> = {}) => ({
  ...(owner ? { "tenancy-owner": owner } : {}),
  "tenancy-claim": claim,
  ...extra,
});

for (const kind of STORES) {
  describe(`api ownership and dry runs (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
    });
    after(async () => server.close());

    it("records the manager, refuses a moved claim naming the new manager, and lets adoption move it", async () => {
      const created = await server.request("POST", "/v1/projects", {
        body: { name: "owned" },
        headers: as(urnA, "claim-1"),
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.managedBy, { stack: "prod", urn: urnA });
      assert.deepEqual((await server.request("GET", "/v1/projects/owned")).body.managedBy, {
        stack: "prod",
        urn: urnA,
      });

      const changed = await server.request("PATCH", "/v1/projects/owned", {
        body: { description: "by its owner" },
        headers: { ...as(urnA, "claim-1"), "if-match": "1" },
      });
      assert.equal(changed.status, 200, JSON.stringify(changed.body));

      const adopted = await server.request("PATCH", "/v1/projects/owned", {
        body: {},
        headers: { ...as(urnB, "claim-2", { "tenancy-adopt": "true" }), "if-match": "2" },
      });
      assert.equal(adopted.status, 200, JSON.stringify(adopted.body));
      assert.deepEqual(adopted.body.managedBy, { stack: "staging", urn: urnB });

      for (const [method, extra] of [
        ["PATCH", { body: { description: "stale" } }],
        ["DELETE", {}],
      ] as const) {
        const stale = await server.request(method, "/v1/projects/owned", {
          ...extra,
          headers: { ...as(urnA, "claim-1"), "if-match": "3" },
        });
        assertProblem(stale, 409, "conflict");
        assert.deepEqual(stale.body.managedBy, { stack: "staging", urn: urnB });
        assert.match(stale.body.detail, /managed by urn:pulumi:staging::org::.*web-b \(stack staging\) now/);
      }
      const gone = await server.request("DELETE", "/v1/projects/owned", {
        headers: { ...as(urnB, "claim-2"), "if-match": "3" },
      });
      assert.equal(gone.status, 204, JSON.stringify(gone.body));
    });

    it("marks objects made by hand, and refuses a claim on them", async () => {
      const byHand = await server.request("POST", "/v1/projects", { body: { name: "by-hand" } });
      assert.equal(byHand.body.managedBy, null);
      const claimed = await server.request("DELETE", "/v1/projects/by-hand", {
        headers: { ...as(urnA, "claim-9"), "if-match": "1" },
      });
      assertProblem(claimed, 409, "conflict");
      assert.equal(claimed.body.managedBy, null);
    });

    it("gives a role binding back to the resource that created it, with a new claim", async () => {
      const body = { environment: "production", subject: "team:ops", role: "viewer" };
      const first = await server.request("POST", "/v1/projects/web/role-bindings", {
        body,
        headers: as(urnA, "claim-1"),
      });
      assert.equal(first.status, 201);
      const again = await server.request("POST", "/v1/projects/web/role-bindings", {
        body,
        headers: as(urnA, "claim-2"),
      });
      assert.equal(again.status, 201, JSON.stringify(again.body));
      assert.equal(again.body.id, first.body.id, "the same binding, taken back");
      const other = await server.request("POST", "/v1/projects/web/role-bindings", {
        body,
        headers: as(urnB, "claim-3"),
      });
      assertProblem(other, 409, "conflict");
      const stale = await server.request("DELETE", `/v1/projects/web/role-bindings/${first.body.id}`, {
        headers: as(urnA, "claim-1"),
      });
      assertProblem(stale, 409, "conflict");
      const current = await server.request("DELETE", `/v1/projects/web/role-bindings/${first.body.id}`, {
        headers: as(urnA, "claim-2"),
      });
      assert.equal(current.status, 204);
    });

    it("runs a dry run's rules and stores nothing", async () => {
      const auditBefore = (await server.request("GET", "/v1/audit?limit=1000")).body.length;
      const dry = await server.request("POST", "/v1/projects?dryRun=true", { body: { name: "dry" } });
      assert.equal(dry.status, 201, JSON.stringify(dry.body));
      assert.equal(dry.body.name, "dry");
      assert.equal((await server.request("GET", "/v1/projects/dry")).status, 404);

      const refused = await server.request("POST", "/v1/projects/web/environments?dryRun=true", {
        body: { domain: "nowhere" },
      });
      assertProblem(refused, 400, "validation_failed");
      assert.equal(refused.body.errors[0].path, "domain");
      const tooLong = await server.request("POST", "/v1/projects/web/environments?dryRun=true", {
        body: { domain: "production", name: "a".repeat(41) },
      });
      assertProblem(tooLong, 400, "validation_failed");

      const env = await server.request("GET", "/v1/projects/web/environments/production");
      const patched = await server.request("PATCH", "/v1/projects/web/environments/production?dryRun=true", {
        body: { description: "dry" },
        headers: { "if-match": String(env.body.version) },
      });
      assert.equal(patched.body.description, "dry");
      assert.equal(
        (await server.request("GET", "/v1/projects/web/environments/production")).body.version,
        env.body.version,
      );
      // An admission is one statement of its own; a dry run of it still rolls back.
      const reservations = "/v1/projects/web/environments/production/reservations";
      const liveBefore = (await server.request("GET", reservations)).body.length;
      const admitted = await server.request("POST", `${reservations}?dryRun=true`, { body: { cpu: "1m" } });
      assert.equal(admitted.status, 201, JSON.stringify(admitted.body));
      assert.equal((await server.request("GET", reservations)).body.length, liveBefore);
      // So is a quota's PUT.
      const quotaUrl = "/v1/projects/web/environments/development/quota";
      const quotaBefore = await server.request("GET", quotaUrl);
      const quota = await server.request("PUT", `${quotaUrl}?dryRun=true`, {
        body: { cpu: "7" },
        ...(quotaBefore.status === 200 ? { headers: { "if-match": String(quotaBefore.body.version) } } : {}),
      });
      assert.equal(quota.status, 200, JSON.stringify(quota.body));
      assert.equal(quota.body.cpu, "7");
      assert.deepEqual((await server.request("GET", quotaUrl)).body, quotaBefore.body);
      assert.equal(
        (await server.request("GET", "/v1/audit?limit=1000")).body.length,
        auditBefore,
        "nothing audited",
      );

      assertProblem(
        await server.request("POST", "/v1/projects/web/environments/production/secrets/x/reveal?dryRun=true"),
        400,
        "validation_failed",
      );
    });

    it("deletes with an environment, from its own resource, only what goes with it", async () => {
      const envUrn = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Environment::web-staging";
      const quotaUrn = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Quota::web-staging";
      const secretUrn = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:SecretBinding::web-staging-db";
      const goesWith = (urn: string, claim: string) => as(urn, claim, { "tenancy-deleted-with": envUrn });
      const env = "/v1/projects/web/environments/staging";
      assert.equal(
        (
          await server.request("POST", "/v1/projects/web/environments", {
            body: { domain: "staging" },
            headers: as(envUrn, "env-claim"),
          })
        ).status,
        201,
      );
      const quota = await server.request("PUT", `${env}/quota`, {
        body: { cpu: "2" },
        headers: goesWith(quotaUrn, "quota-claim"),
      });
      assert.equal(quota.status, 200, JSON.stringify(quota.body));
      assert.deepEqual(quota.body.managedBy, { stack: "prod", urn: quotaUrn, deletedWith: envUrn });
      const secret = await server.request("POST", `${env}/secrets`, {
        body: { name: "db", value: "s3cret-value" },
        headers: goesWith(secretUrn, "secret-claim"),
      });
      assert.ok([200, 201].includes(secret.status), JSON.stringify(secret.body));
      const byHand = await server.request("POST", `${env}/secrets`, {
        body: { name: "by-hand", reference: "vault://x" },
      });
      assert.ok([200, 201].includes(byHand.status), JSON.stringify(byHand.body));

      // A secret made by hand stays, and keeps the environment (and what goes with it) in place.
      const refused = await server.request("DELETE", env, {
        headers: { ...as(undefined, "env-claim"), "if-match": "1" },
      });
      assertProblem(refused, 409, "conflict");
      assert.match(refused.body.detail, /by-hand/);
      assert.equal((await server.request("GET", `${env}/quota`)).status, 200);
      assert.equal((await server.request("GET", `${env}/secrets/db`)).status, 200);
      const bySecretVersion = (await server.request("GET", `${env}/secrets/by-hand`)).body.version;
      assert.equal(
        (
          await server.request("DELETE", `${env}/secrets/by-hand`, {
            headers: { "if-match": String(bySecretVersion) },
          })
        ).status,
        204,
      );
      // Deleted by hand (no claim), the environment still wants its quota and secrets deleted first.
      assertProblem(await server.request("DELETE", env, { headers: { "if-match": "1" } }), 409, "conflict");

      const deleted = await server.request("DELETE", env, {
        headers: { ...as(undefined, "env-claim"), "if-match": "1" },
      });
      assert.equal(deleted.status, 204, JSON.stringify(deleted.body));
      const audit = (await server.request("GET", "/v1/audit?limit=1000")).body as {
        action: string;
        targetId: string;
      }[];
      const actions = audit.filter((e) => e.targetId.startsWith("web/staging")).map((e) => e.action);
      for (const action of ["quota.delete", "secret.delete", "environment.delete"]) {
        assert.ok(actions.includes(action), `${action} audited: ${actions.join(", ")}`);
      }
      assert.doesNotMatch(JSON.stringify(audit), /s3cret-value/);
    });

    it("records which environment resource an object goes with, and updates it from its manager", async () => {
      const envUrn = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Environment::web-development";
      const quotaUrn = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Quota::web-development";
      const path = "/v1/projects/web/environments/development/quota";
      const created = await server.request("PUT", path, { body: { cpu: "1" }, headers: as(quotaUrn, "q") });
      assert.deepEqual(created.body.managedBy, { stack: "prod", urn: quotaUrn });
      const updated = await server.request("PUT", path, {
        body: { cpu: "1" },
        headers: {
          ...as(quotaUrn, "q", { "tenancy-deleted-with": envUrn }),
          "if-match": String(created.body.version),
        },
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.deepEqual(updated.body.managedBy, { stack: "prod", urn: quotaUrn, deletedWith: envUrn });
      const version = updated.body.version;
      assertProblem(
        await server.request("PUT", path, {
          body: { cpu: "1" },
          headers: { "tenancy-deleted-with": envUrn, "if-match": String(version) },
        }),
        400,
        "validation_failed",
      );
      assert.equal(
        (
          await server.request("DELETE", path, {
            headers: { ...as(undefined, "q"), "if-match": String(version) },
          })
        ).status,
        204,
      );
    });

    it("keeps a quota's manager and claim through an update by hand", async () => {
      const quotaUrn = "urn:pulumi:prod::org::pulumi-nodejs:dynamic/tenancy:Quota::web-production";
      const path = "/v1/projects/web/environments/production/quota";
      const created = await server.request("PUT", path, { body: { cpu: "2" }, headers: as(quotaUrn, "p") });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const byHand = await server.request("PUT", path, {
        body: { cpu: "3" },
        headers: { "if-match": String(created.body.version) },
      });
      assert.equal(byHand.status, 200, JSON.stringify(byHand.body));
      assert.equal(byHand.body.cpu, "3");
      assert.deepEqual(byHand.body.managedBy, { stack: "prod", urn: quotaUrn });
      // The claim stayed too: the resource's next write is its own, not a conflict.
      const own = await server.request("PUT", path, {
        body: { cpu: "2" },
        headers: { ...as(quotaUrn, "p"), "if-match": String(byHand.body.version) },
      });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.deepEqual(own.body.managedBy, { stack: "prod", urn: quotaUrn });
    });

    it("refuses malformed ownership headers, naming the header", async () => {
      const bad = await server.request("POST", "/v1/projects", {
        body: { name: "bad-owner" },
        headers: { "tenancy-owner": "not-a-urn", "tenancy-adopt": "yes" },
      });
      assertProblem(bad, 400, "validation_failed");
      assert.deepEqual(
        bad.body.errors.map((e: { path: string }) => e.path),
        ["Tenancy-Owner", "Tenancy-Adopt"],
      );
    });
  });
}
