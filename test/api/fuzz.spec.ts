// Bad input never yields a 500: generated bodies, path segments and headers thrown at every write
// route answer 2xx or a 4xx application/problem+json.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const realParams: Record<string, string> = {
  project: "web",
  environment: "production",
  domain: "production",
  name: "db",
  id: "rb_missing",
};

const jsonValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);
const fieldNames = fc.constantFrom(
  "name",
  "tier",
  "domain",
  "project",
  "environment",
  "subject",
  "role",
  "value",
  "reference",
  "cpu",
  "memory",
  "gpu",
  "storage",
  "executions",
  "maxConcurrentExecutions",
  "requests",
  "limits",
  "labels",
  "protected",
  "archived",
  "order",
  "teams",
  "orgAdmin",
  "expiresAt",
  "__proto__",
  "constructor",
);
const body = fc.oneof(
  fc.dictionary(fieldNames, jsonValue, { maxKeys: 6 }),
  fc.dictionary(fieldNames, fc.dictionary(fieldNames, jsonValue, { maxKeys: 3 }), { maxKeys: 3 }),
  jsonValue,
);
const segment = fc.oneof(fc.constant(undefined), fc.string({ minLength: 1, maxLength: 60 }));
const header = fc.oneof(fc.constant(undefined), fc.string({ maxLength: 30 }), fc.nat().map(String));

for (const kind of STORES) {
  describe(`api fuzz (${kind})`, function () {
    this.timeout(180_000);
    let server: TestServer;
    let writeRoutes: { method: string; path: string }[];

    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      const doc = await server.request("GET", "/openapi.json", { token: null });
      writeRoutes = Object.entries(doc.body.paths as Record<string, Record<string, unknown>>).flatMap(
        ([path, methods]) =>
          Object.keys(methods)
            .filter((m) => m !== "get")
            .map((method) => ({ method: method.toUpperCase(), path })),
      );
      assert.ok(writeRoutes.length >= 20, `only ${writeRoutes.length} write routes found`);
    });
    after(async () => server.close());

    it("answers every generated request with 2xx or a 4xx problem", async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.nat({ max: 1000 }),
          fc.array(segment, { minLength: 3, maxLength: 3 }),
          body,
          header,
          header,
          async (routeIndex, segments, payload, ifMatch, idempotencyKey) => {
            const route = writeRoutes[routeIndex % writeRoutes.length]!;
            let i = 0;
            const path = route.path.replace(/\{(\w+)\}/g, (_, param: string) => {
              const generated = segments[i++ % segments.length];
              return encodeURIComponent(generated ?? realParams[param] ?? "x");
            });
            const headers: Record<string, string> = {};
            if (ifMatch !== undefined) headers["if-match"] = ifMatch;
            if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
            const response = await server.request(route.method, path, { body: payload, headers });
            assert.ok(
              response.status < 500,
              `${route.method} ${path} ${JSON.stringify(payload)} -> ${response.status} ${JSON.stringify(response.body)}`,
            );
            if (response.status >= 400) {
              assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
              assert.equal(typeof response.body.code, "string");
            }
          },
        ),
        { numRuns: 400 },
      );
    });
  });
}
