// Bytes a hostile or broken client sends: refused with validation_failed and the field they are in,
// never a 500, never stored altered.
import { strict as assert } from "node:assert";
import { normalizeQuantity } from "../../model";
import { assertProblem, seed } from "./seed";
import { STORES, adminToken, startTestServer, type TestServer } from "./server";

for (const kind of STORES) {
  describe(`api hostile input (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      await server.request("PUT", "/v1/projects/web/environments/production/quota", {
        body: { cpu: "1000E", memory: "1000E" },
      });
    });
    after(async () => server.close());

    it("refuses NUL and lone surrogates in text fields, naming the field", async () => {
      for (const [description, message] of [
        ["before\u0000after", /NUL/],
        ["broken \uD800 text", /lone UTF-16 surrogate/],
        ["\uDC00", /lone UTF-16 surrogate/],
      ] as const) {
        const answer = await server.request("POST", "/v1/projects", {
          body: { name: "hostile", description },
        });
        assertProblem(answer, 400, "validation_failed");
        assert.deepEqual(
          answer.body.errors.map((e: { path: string }) => e.path),
          ["description"],
        );
        assert.match(answer.body.errors[0].message, message);
      }
      assert.equal((await server.request("GET", "/v1/projects/hostile")).status, 404, "nothing was stored");
      const labels = await server.request("POST", "/v1/projects", {
        body: { name: "hostile", labels: { team: "a\u0000b" } },
      });
      assertProblem(labels, 400, "validation_failed");
      assert.equal(labels.body.errors[0].path, "labels.team");
    });

    it("keeps a valid surrogate pair (an emoji) intact", async () => {
      const created = await server.request("POST", "/v1/projects", {
        body: { name: "emoji", description: "rocket \uD83D\uDE80" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.equal((await server.request("GET", "/v1/projects/emoji")).body.description, "rocket \u{1F680}");
    });

    it("refuses NUL in a path or a query parameter", async () => {
      assertProblem(await server.request("GET", "/v1/projects/we%00b"), 400, "validation_failed");
      const inQuery = await server.request("GET", "/v1/audit?actor=a%00b");
      assertProblem(inQuery, 400, "validation_failed");
      assert.equal(inQuery.body.errors[0].path, "query.actor");
      assertProblem(
        await server.request("GET", "/v1/projects/web/environments/pro%00duction/secrets/x"),
        400,
        "validation_failed",
      );
    });

    it("refuses a body that is not valid UTF-8 instead of repairing it", async () => {
      const bytes = Buffer.concat([
        Buffer.from('{"name":"bytes","description":"'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('"}'),
      ]);
      const response = await fetch(`${server.url}/v1/projects`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
        body: bytes,
      });
      assert.equal(response.status, 400);
      const body = (await response.json()) as { code: string; errors: { path: string }[] };
      assert.equal(body.code, "validation_failed");
      assert.equal(body.errors[0]!.path, "(body)");
    });

    it("applies one rule to quantities given as numbers and as strings", async () => {
      const path = "/v1/projects/web/environments/production/reservations";
      for (const cpu of [0.0001, "0.0001"]) {
        const answer = await server.request("POST", path, { body: { cpu } });
        assertProblem(answer, 400, "validation_failed");
        assert.match(answer.body.errors[0].message, /more precise than a thousandth/);
      }
      for (const cpu of [1e-3, "1m", 0.5, "500m"]) {
        const answer = await server.request("POST", path, { body: { cpu } });
        assert.equal(answer.status, 201, `${cpu}: ${JSON.stringify(answer.body)}`);
        await server.request("DELETE", `${path}/${answer.body.id}`);
      }
      const large = await server.request("POST", path, { body: { memory: 1e21 } });
      assert.equal(large.status, 201, JSON.stringify(large.body));
      assert.equal(large.body.memory, normalizeQuantity("1000E"), "the largest quantity is accepted");
      await server.request("DELETE", `${path}/${large.body.id}`);
    });

    it("refuses amounts beyond what the store can hold as 400, not 500", async () => {
      const path = "/v1/projects/web/environments/production/reservations";
      for (const memory of ["9".repeat(36), "9".repeat(40) + "Ei", 1e300, "1001E"]) {
        const answer = await server.request("POST", path, { body: { memory } });
        assertProblem(answer, 400, "validation_failed");
        assert.equal(answer.body.errors[0].path, "memory");
      }
      const quota = await server.request("PUT", "/v1/projects/web/environments/development/quota", {
        body: { cpu: "9".repeat(50) },
      });
      assertProblem(quota, 400, "validation_failed");
    });
  });
}
