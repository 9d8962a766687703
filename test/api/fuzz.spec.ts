// Bad input never yields a 500: requests generated from the OpenAPI document, over every route and
// method, with bodies built from each operation's own fields and hostile values (NUL, lone
// surrogates, control characters, invalid UTF-8, overlong numbers), hostile path segments and
// headers, answer 2xx or a 4xx application/problem+json. TENANCY_FUZZ_RUNS sets the number of
// requests per store (default 20,000).
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { adminToken, STORES, startTestServer, type TestServer } from "./server";
import { seed } from "./seed";

const runs = Number(process.env.TENANCY_FUZZ_RUNS ?? 20_000);

const realParams: Record<string, string> = {
  project: "web",
  environment: "production",
  domain: "production",
  name: "db",
  id: "rb_missing",
};

/** Strings of the byte classes that once gave 500s, and the ordinary ones around them. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.constantFrom(
    "\u0000",
    "a\u0000b",
    "\uD800",
    "x\uDC00y",
    "\u001b[2J",
    "\u202e",
    "🚀",
    "9".repeat(36),
    "9".repeat(400),
    "1e309",
    "0.0001",
    "-1",
    "NaN",
    "16Gi",
    "500m",
    "vault://x",
    "user:alice",
    "team:platform",
    "production",
    "2027-01-01T00:00:00Z",
  ),
);
const jsonValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.integer(),
  fc.double(),
  fc.constantFrom(1e21, 1e300, -0, Number.MAX_SAFE_INTEGER, 0.0001),
  fc.boolean(),
  fc.constant(null),
  fc.array(hostileString, { maxLength: 3 }),
  fc.dictionary(hostileString, hostileString, { maxKeys: 3 }),
);
const segment = fc.oneof(
  fc.constant(undefined), // the real, existing object
  hostileString
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return encodeURIComponent(s);
      } catch {
        return "%ED%A0%80"; // a lone surrogate, encoded as a client would send its bytes
      }
    }),
  fc.constantFrom("%00", "%FF", "%C3%28", "%ED%A0%80", "..", "%2F", "a".repeat(300)),
);
const headerValue = fc.oneof(
  fc.constant(undefined),
  fc.string({ maxLength: 30 }).filter((s) => /^[\x20-\x7e]*$/.test(s)),
  fc.nat().map(String),
  fc.constantFrom('"1"', 'W/"1"', "0", "-1", "99999999999"),
);

interface Operation {
  method: string;
  path: string;
  fields: string[];
}

/** Every operation of the document, with the top-level fields of its request body. */
function operationsOf(doc: { paths: Record<string, Record<string, any>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => {
      const schema = operation.requestBody?.content?.["application/json"]?.schema;
      const variants = [schema, ...(schema?.anyOf ?? []), ...(schema?.allOf ?? [])].filter(Boolean);
      const fields = [...new Set(variants.flatMap((s: any) => Object.keys(s?.properties ?? {})))];
      return { method: method.toUpperCase(), path, fields };
    }),
  );
}

for (const kind of STORES) {
  describe(`api fuzz (${kind})`, function () {
    this.timeout(600_000);
    let server: TestServer;
    let operations: Operation[];

    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      await server.request("POST", "/v1/projects/web/environments/production/secrets", {
        body: { name: "db", value: "v" },
      });
      const doc = await server.request("GET", "/openapi.json", { token: null });
      operations = operationsOf(doc.body);
      assert.ok(operations.length >= 46, `only ${operations.length} operations found`);
    });
    after(async () => server.close());

    it(`answers ${runs} generated requests over every operation with 2xx or a 4xx problem`, async () => {
      const seen = new Set<string>();
      await fc.assert(
        fc.asyncProperty(
          fc.nat(),
          fc.array(segment, { minLength: 3, maxLength: 3 }),
          fc.nat(),
          fc.array(jsonValue, { minLength: 1, maxLength: 6 }),
          fc.oneof(fc.constant("json"), fc.constant("raw"), fc.constant("none")),
          fc.uint8Array({ maxLength: 64 }),
          headerValue,
          headerValue,
          async (index, segments, fieldPick, values, bodyKind, bytes, ifMatch, idempotencyKey) => {
            const operation = operations[index % operations.length]!;
            seen.add(`${operation.method} ${operation.path}`);
            let i = 0;
            const path = operation.path.replace(/\{(\w+)\}/g, (_, param: string) => {
              const generated = segments[i++ % segments.length];
              return generated ?? realParams[param] ?? "x";
            });
            const fields = [...operation.fields, "__proto__", "constructor", "unknownField"];
            const payload = Object.fromEntries(
              values.map((value, n) => [fields[(fieldPick + n) % fields.length]!, value]),
            );
            const headers: Record<string, string> = { authorization: `Bearer ${adminToken}` };
            if (ifMatch !== undefined) headers["if-match"] = ifMatch;
            if (idempotencyKey !== undefined) headers["idempotency-key"] = idempotencyKey;
            let body: string | Buffer | undefined;
            if (bodyKind !== "none" && operation.method !== "GET") {
              headers["content-type"] = "application/json";
              body =
                bodyKind === "json"
                  ? JSON.stringify(payload)
                  : Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('"}')]);
            }
            const response = await fetch(server.url + path, { method: operation.method, headers, body });
            const text = await response.text();
            assert.ok(
              response.status < 500,
              `${operation.method} ${path} ${JSON.stringify(payload)} -> ${response.status} ${text}`,
            );
            if (response.status >= 400) {
              assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
              assert.equal(typeof JSON.parse(text).code, "string");
            }
          },
        ),
        { numRuns: runs },
      );
      assert.equal(seen.size, operations.length, "every operation was exercised");
    });
  });
}
