// The control plane through PostgreSQL restarts and outages: the server stays up, answers 503
// `unavailable` with Retry-After while the database is gone (never a 500, never a hang past the
// connect timeout), serves again as soon as it is back, and loses no write it acknowledged.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createDatabase, startPostgresCluster, type PostgresCluster } from "../../scripts/harness";
import { startServer, type RunningServer } from "../../server/server";
import { randomBytes } from "node:crypto";

const token = `tny_faults-${randomBytes(12).toString("hex")}`;

describe("faults: PostgreSQL restarted and stopped under the server", function () {
  this.timeout(180_000);
  let root: string;
  let cluster: PostgresCluster;
  let server: RunningServer;

  const call = async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${url}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(15_000),
    });
    const text = await response.text();
    return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
  };

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-faults-"));
    fs.chmodSync(root, 0o755);
    cluster = await startPostgresCluster(path.join(root, "pgdata"));
    server = await startServer({
      store: { kind: "postgres", url: await createDatabase(cluster.url) },
      port: 0,
      env: { TENANCY_BOOTSTRAP_TOKEN: token, TENANCY_SECRET_KEY: randomBytes(32).toString("base64") },
      logLevel: "silent",
      rateLimit: { max: 1_000_000, timeWindowMs: 60_000 }, // the clients below are many and fast
    });
    assert.equal(
      (await call("POST", "/v1/domains", { name: "development", tier: "non-production" })).status,
      201,
    );
  });
  after(async () => {
    await server?.close();
    try {
      cluster?.stop("immediate");
    } catch {
      // already stopped by a test that failed half-way
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  for (const mode of ["fast", "immediate"] as const) {
    it(`answers 503 unavailable while the database is down (${mode} stop) and serves again once it is back`, async () => {
      const before = await call("POST", "/v1/projects", { name: `before-${mode}` });
      assert.equal(before.status, 201, JSON.stringify(before.body));

      cluster.stop(mode);
      const started = Date.now();
      for (const [method, url, body] of [
        ["GET", "/v1/projects"],
        ["POST", "/v1/projects", { name: `during-${mode}` }],
        ["GET", "/v1/domains/development"],
      ] as const) {
        const answer = await call(method, url, body);
        assert.equal(answer.status, 503, `${method} ${url}: ${JSON.stringify(answer.body)}`);
        assert.equal(answer.body.code, "unavailable");
        assert.equal(answer.headers.get("retry-after"), "1");
      }
      assert.ok(Date.now() - started < 20_000, "answers came within the connect timeout");
      const ready = await fetch(`${server.url}/readyz`);
      assert.equal(ready.status, 503, "readiness says the database does not answer");
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "liveness stays up");

      cluster.start();
      const back = Date.now();
      let first = await call("GET", "/v1/projects");
      while (first.status !== 200 && Date.now() - back < 5_000) first = await call("GET", "/v1/projects");
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.ok(
        Date.now() - back < 2_000,
        `served again ${Date.now() - back} ms after the database came back`,
      );
      assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
      const names = (first.body as { name: string }[]).map((p) => p.name);
      assert.ok(names.includes(`before-${mode}`), "an acknowledged write is still there");
      assert.ok(!names.includes(`during-${mode}`), "a write answered 503 did not happen");
    });
  }

  for (const outage of [
    { name: "a fast restart", stop: "fast", downMs: 0 },
    { name: "an immediate restart", stop: "immediate", downMs: 0 },
    { name: "a 15 s stop", stop: "fast", downMs: 15_000 },
  ] as const) {
    it(`keeps 16 clients' answers to 2xx, 4xx or 503 through ${outage.name}, losing no acknowledged write`, async () => {
      const acknowledged: string[] = [];
      const statuses = new Map<number, number>();
      let restartedAt = 0;
      let firstSuccessAfterRestart = 0;
      let running = true;
      const client = async (n: number) => {
        for (let i = 0; running; i++) {
          const name = `c${n}-${outage.downMs}-${outage.stop}-${i}`;
          const answer =
            i % 2 === 0
              ? await call("POST", "/v1/projects", { name })
              : await call("GET", "/v1/domains/development");
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status === 201) acknowledged.push(name);
          if (answer.status < 300 && restartedAt > 0 && firstSuccessAfterRestart === 0) {
            firstSuccessAfterRestart = Date.now();
          }
          if (answer.status === 503) await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const clients = Array.from({ length: 16 }, (_, n) => client(n));
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      cluster.stop(outage.stop);
      await new Promise((resolve) => setTimeout(resolve, outage.downMs || 200));
      cluster.start();
      restartedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      running = false;
      await Promise.all(clients);

      const unexpected = [...statuses.keys()].filter((s) => !(s < 300 || (s >= 400 && s < 500) || s === 503));
      assert.deepEqual(unexpected, [], `answers: ${JSON.stringify([...statuses])}`);
      assert.ok((statuses.get(503) ?? 0) > 0 || outage.downMs === 0, "the outage was seen");
      assert.ok(firstSuccessAfterRestart > 0, "requests succeed after the restart");
      assert.ok(
        firstSuccessAfterRestart - restartedAt < 1_000,
        `served again ${firstSuccessAfterRestart - restartedAt} ms after the database was back`,
      );
      const stored = new Set(
        ((await call("GET", "/v1/projects")).body as { name: string }[]).map((p) => p.name),
      );
      const lost = acknowledged.filter((name) => !stored.has(name));
      assert.deepEqual(lost, [], "writes answered 201 that are not in the database");
      assert.equal((await fetch(`${server.url}/healthz`)).status, 200, "the server is still up");
    });
  }
});
