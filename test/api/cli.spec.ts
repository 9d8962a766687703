// The `tenancy` command line against a running control plane, and the per-token rate limit.
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { run } from "../../scripts/harness";
import { seed } from "./seed";
import { STORES, adminToken, startTestServer, type Response, type TestServer } from "./server";

const repoRoot = path.resolve(__dirname, "../..");

function tenancy(server: TestServer, ...args: string[]) {
  return run(
    process.execPath,
    ["--import", "tsx", "cli/main.ts", ...args, "--endpoint", server.url, "--token", adminToken],
    {
      cwd: repoRoot,
    },
  );
}

describe(`tenancy CLI (${STORES[0]})`, function () {
  this.timeout(120_000);
  let server: TestServer;
  before(async () => {
    server = await startTestServer(STORES[0]!);
    await seed(server);
    await server.request("PUT", "/v1/projects/web/environments/production/quota", {
      body: { cpu: "4", memory: "8Gi" },
    });
  });
  after(async () => server.close());

  it("issues, lists and revokes tokens, showing the secret once", async () => {
    const created = await tenancy(
      server,
      "token",
      "create",
      "--name",
      "ci",
      "--subject",
      "service:ci",
      "--team",
      "team:a",
      "team:b",
      "--expires",
      "2099-01-01T00:00:00Z",
    );
    assert.equal(created.code, 0, created.output);
    const [id, secret] = created.stdout.trim().split("\t");
    assert.match(id!, /^tok_/);
    assert.match(secret!, /^tny_/);
    const listed = await tenancy(server, "token", "list");
    assert.match(
      listed.stdout,
      new RegExp(`${id}\\s+ci\\s+service:ci\\s+team:a,team:b\\s+2099-01-01T00:00:00.000Z`),
    );
    assert.ok(!listed.stdout.includes(secret!), "list shows the secret");
    assert.equal((await tenancy(server, "token", "revoke", id!)).code, 0);
    assert.equal((await server.request("GET", "/v1/domains", { token: secret! })).status, 401);
  });

  it("prints tables of each kind and the project × domain matrix", async () => {
    const domains = await tenancy(server, "get", "domains");
    assert.match(domains.stdout, /^NAME\s+TIER\s+ORDER\s+VERSION\s+MANAGED BY\n/);
    assert.match(domains.stdout, /production\s+production\s+30\s+1\s+\(by hand\)/);
    const quotas = await tenancy(server, "get", "quotas");
    assert.match(quotas.stdout, /web\s+production\s+4\s+8Gi/);
    const matrix = await tenancy(server, "matrix");
    assert.match(matrix.stdout, /PROJECT\s+DEVELOPMENT\s+STAGING\s+PRODUCTION/);
    assert.match(
      matrix.stdout,
      /web\s+development: no quota, 0 secrets, 0 roles\s+-\s+production: 4 cpu\/8Gi, 0 secrets, 0 roles/,
    );
    const wrong = await tenancy(server, "get", "widgets");
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /'widgets' is invalid for argument 'kind'/);
  });

  it("escapes control characters it prints from the server", async () => {
    const hostile = "\u001b]0;pwned\u0007\u001b[2J\u202eevil";
    const created = await server.request("POST", "/v1/projects", {
      body: { name: "escapes", displayName: hostile },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const listed = await tenancy(server, "get", "projects");
    assert.equal(listed.code, 0, listed.output);
    // eslint-disable-next-line no-control-regex -- the raw control characters must be absent
    assert.doesNotMatch(listed.stdout, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    assert.match(listed.stdout, /\\u001b\]0;pwned\\u0007\\u001b\[2J\\u202eevil/);
  });
});

describe("api rate limit", function () {
  this.timeout(60_000);
  it("answers 429 problem+json with Retry-After once a token uses up its window", async () => {
    const server = await startTestServer(STORES[0]!, { rateLimit: { max: 5, timeWindowMs: 60_000 } });
    try {
      const statuses: number[] = [];
      let limited: Response | undefined;
      for (let i = 0; i < 7; i++) {
        const response = await server.request("GET", "/v1/domains");
        statuses.push(response.status);
        if (response.status === 429) limited = response;
      }
      assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429]);
      assert.equal(limited!.body.code, "rate_limited");
      assert.match(limited!.headers.get("content-type") ?? "", /application\/problem\+json/);
      assert.ok(Number(limited!.headers.get("retry-after")) > 0);
      // Limits are kept per token: a caller without one is counted by its address, apart.
      const other = await server.request("GET", "/v1/domains", { token: null });
      assert.equal(other.status, 401);
    } finally {
      await server.close();
    }
  });
});
