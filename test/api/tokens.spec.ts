// Tokens over every store: each one reads back with its expiry, its revocation and the resource
// that issued it, never its secret.
import { strict as assert } from "node:assert";
import { assertProblem } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

for (const kind of STORES) {
  describe(`api tokens (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => (server = await startTestServer(kind)));
    after(async () => server.close());

    it("reads a token's expiry, revocation and issuer, never its secret", async () => {
      const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
      const issued = await server.request("POST", "/v1/tokens", {
        body: { name: "pipeline", subject: "service:pipeline", expiresAt },
        headers: {
          "tenancy-owner": "urn:pulumi:dev::org::pulumi-nodejs:dynamic/tenancy:ApiToken::pipeline",
          "tenancy-claim": "c1",
        },
      });
      assert.equal(issued.status, 201);
      const read = await server.request("GET", `/v1/tokens/${issued.body.id}`);
      assert.equal(read.status, 200);
      assert.equal(read.body.expiresAt, expiresAt);
      assert.equal(
        read.body.managedBy.urn,
        "urn:pulumi:dev::org::pulumi-nodejs:dynamic/tenancy:ApiToken::pipeline",
      );
      assert.ok(!JSON.stringify(read.body).includes(issued.body.token));
      assert.equal(read.body.token, undefined);

      // A write carrying another claim leaves the token alone.
      const stale = await server.request("DELETE", `/v1/tokens/${issued.body.id}`, {
        headers: { "tenancy-claim": "c0" },
      });
      assertProblem(stale, 409, "conflict");
      assert.equal((await server.request("GET", "/v1/domains", { token: issued.body.token })).status, 200);
      assert.equal(
        (
          await server.request("DELETE", `/v1/tokens/${issued.body.id}`, {
            headers: { "tenancy-claim": "c1" },
          })
        ).status,
        204,
      );
      const revoked = await server.request("GET", `/v1/tokens/${issued.body.id}`);
      assert.ok(revoked.body.revokedAt);
      assertProblem(
        await server.request("GET", "/v1/domains", { token: issued.body.token }),
        401,
        "unauthorized",
      );
      assertProblem(await server.request("GET", "/v1/tokens/tok_none"), 404, "not_found");
    });

    it("dry-runs an issue: the answer it would give, and no token", async () => {
      const before = (await server.request("GET", "/v1/tokens")).body.length;
      const dry = await server.request("POST", "/v1/tokens?dryRun=true", {
        body: { name: "x", subject: "service:x" },
      });
      assert.equal(dry.status, 201);
      assertProblem(
        await server.request("GET", "/v1/domains", { token: dry.body.token }),
        401,
        "unauthorized",
      );
      assert.equal((await server.request("GET", "/v1/tokens")).body.length, before);
    });
  });
}
