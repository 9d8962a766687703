// A canary secret value is never found in an API response, a log line, an audit entry or an error,
// and in the database only as ciphertext.
import { strict as assert } from "node:assert";
import { sql } from "kysely";
import { seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const canary = "canary-value-5b1e0f-never-in-plain-text";
const path = "/v1/projects/web/environments/production/secrets";

for (const kind of STORES) {
  describe(`api secrets (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
    });
    after(async () => server.close());

    it("never shows the value outside reveal, and stores only ciphertext", async () => {
      const bodies: unknown[] = [];
      const call = async (
        method: string,
        url: string,
        options: Parameters<TestServer["request"]>[2] = {},
      ) => {
        const response = await server.request(method, url, options);
        bodies.push(response.body);
        return response;
      };
      assert.equal((await call("POST", path, { body: { name: "db", value: canary } })).status, 201);
      await call("GET", path);
      await call("GET", `${path}/db`);
      await call("PATCH", `${path}/db`, { body: { value: canary + "-2" }, headers: { "if-match": "1" } });
      await call("PATCH", `${path}/db`, { body: { value: canary }, headers: { "if-match": "1" } }); // stale
      await call("POST", path, { body: { name: "db", value: canary } }); // duplicate
      await call("POST", path, { body: { name: "Bad Name", value: canary } }); // invalid
      await call("POST", path, { body: { name: "db2", value: canary, reference: "vault://x" } }); // both
      await call("GET", "/v1/projects/web/environments/production/effective");
      await call("GET", "/v1/audit?targetKind=SecretBinding");
      for (const body of bodies)
        assert.ok(!JSON.stringify(body).includes(canary), `leaked in ${JSON.stringify(body)}`);

      const revealed = await server.request("POST", `${path}/db/reveal`);
      assert.equal(revealed.body.value, canary + "-2");
      const viewer = await server.request("POST", "/v1/tokens", {
        body: { name: "viewer", subject: "user:v" },
      });
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:v", role: "contributor" },
      });
      const denied = await server.request("POST", `${path}/db/reveal`, { token: viewer.body.token });
      assert.equal(denied.status, 403);
      assert.ok(!JSON.stringify(denied.body).includes(canary));

      assert.ok(!server.logs().includes(canary), "the value appears in the server log");
      assert.ok(!server.logs().includes(viewer.body.token), "a token appears in the server log");

      const db = server.running.store.db;
      const dump = await sql<{ dump: string }>`
        select coalesce(string_agg(t::text, E'\n'), '') as dump from (
          select row_to_json(s)::text as t from secrets s
          union all select row_to_json(a)::text from audit a
          union all select row_to_json(i)::text from idempotency_keys i
          union all select row_to_json(k)::text from tokens k
        ) rows`.execute(db);
      const text = dump.rows[0]!.dump;
      assert.ok(text.includes('"ciphertext"'), "the secrets table was read");
      assert.ok(!text.includes(canary), "the value is stored in plain text");
      assert.ok(
        !text.includes(Buffer.from(canary).toString("hex")),
        "the value is stored unencrypted as bytes",
      );
      assert.ok(!text.includes(viewer.body.token), "a token is stored in plain text");
    });

    it("reveals several values in one request, each checked and audited as a single reveal", async () => {
      const env = (environment: string) => `/v1/projects/web/environments/${environment}/secrets`;
      for (const [environment, body] of [
        ["production", { name: "bulk-a", value: "value-a" }],
        ["production", { name: "bulk-b", reference: "vault://kv/b" }],
        ["development", { name: "bulk-c", value: "value-c" }],
      ] as const) {
        assert.equal((await server.request("POST", env(environment), { body })).status, 201);
      }
      const asked = [
        { project: "web", environment: "production", name: "bulk-a" },
        { project: "web", environment: "production", name: "bulk-b" },
        { project: "web", environment: "development", name: "bulk-c" },
        { project: "web", environment: "production", name: "bulk-missing" },
      ];
      const audited = async () =>
        (await server.request("GET", "/v1/audit?action=secret.reveal&limit=1000")).body.length as number;
      const before = await audited();
      const all = await server.request("POST", "/v1/secrets/reveal", { body: { secrets: asked } });
      assert.equal(all.status, 200, JSON.stringify(all.body));
      assert.deepEqual(
        all.body.secrets.map((s: any) => [s.name, s.value ?? s.reference ?? s.error.code]),
        [
          ["bulk-a", "value-a"],
          ["bulk-b", "vault://kv/b"],
          ["bulk-c", "value-c"],
          ["bulk-missing", "not_found"],
        ],
      );
      assert.equal((await audited()) - before, 3, "one audit entry per value revealed");

      // A developer on production alone: production's values, and nothing of development's.
      const developer = await server.request("POST", "/v1/tokens", {
        body: { name: "bulk-developer", subject: "user:bulk-developer" },
      });
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:bulk-developer", role: "developer", environment: "production" },
      });
      const own = await server.request("POST", "/v1/secrets/reveal", {
        token: developer.body.token,
        body: { secrets: asked.slice(0, 3) },
      });
      assert.equal(own.status, 200, JSON.stringify(own.body));
      assert.equal(own.body.secrets[0].value, "value-a");
      assert.ok(
        ["not_found", "forbidden"].includes(own.body.secrets[2].error?.code),
        JSON.stringify(own.body),
      );
      assert.ok(!JSON.stringify(own.body).includes("value-c"));

      const tooMany = Array.from({ length: 501 }, () => asked[0]);
      const refused = await server.request("POST", "/v1/secrets/reveal", { body: { secrets: tooMany } });
      assert.equal(refused.status, 400);
      assert.equal(refused.body.code, "validation_failed");
      assert.ok(
        refused.body.errors.some((e: any) => e.path.startsWith("secrets")),
        JSON.stringify(refused.body),
      );
    });
  });
}
