// Two `tenancy serve` processes on one PostgreSQL database: concurrent writers never lose an update
// nor over-commit a quota, and a revoked token stops working on both. And PGlite, which is single-process, refuses a second opener.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import { Client } from "pg";
import * as os from "node:os";
import * as path from "node:path";
import { parseQuantity } from "../../model";
import { openStore } from "../../server/store/open";
import { serve, type ServeProcess } from "../../scripts/harness";
import { createDatabase } from "../../scripts/harness";
import { lockWaiters } from "./lock-waits";
import { STORES, adminToken, secretKey } from "./server";

async function call(
  base: string,
  method: string,
  url: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(base + url, {
    method,
    headers: {
      authorization: `Bearer ${adminToken}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

(STORES.includes("postgres") ? describe : describe.skip)(
  "api concurrency (two server processes on postgres)",
  function () {
    this.timeout(180_000);
    let servers: ServeProcess[] = [];
    let url: string;

    before(async () => {
      url = await createDatabase();
      const env = { TENANCY_BOOTSTRAP_TOKEN: adminToken, TENANCY_SECRET_KEY: secretKey };
      // Started one after the other: both apply migrations and bootstrap on the same database.
      servers = await Promise.all([serve(["--database-url", url], env), serve(["--database-url", url], env)]);
      const [a] = servers;
      await call(a!.url, "POST", "/v1/domains", { name: "production", tier: "production" });
      await call(a!.url, "POST", "/v1/projects", { name: "web" });
      await call(a!.url, "POST", "/v1/projects/web/environments", { domain: "production" });
    });
    after(async () => Promise.all(servers.map((s) => s.stop())));

    it("lets exactly one of many conflicting updates win; the rest get version_mismatch", async () => {
      const results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          call(
            servers[i % 2]!.url,
            "PATCH",
            "/v1/projects/web",
            { description: `writer ${i}` },
            { "if-match": "1" },
          ),
        ),
      );
      const winners = results.filter((r) => r.status === 200);
      assert.equal(winners.length, 1, JSON.stringify(results.map((r) => r.status)));
      assert.ok(
        results.every((r) => r.status === 200 || (r.status === 412 && r.body.code === "version_mismatch")),
      );
      const final = await call(servers[1]!.url, "GET", "/v1/projects/web");
      assert.equal(final.body.version, 2);
      assert.equal(final.body.description, winners[0]!.body.description);
      const audit = await call(servers[0]!.url, "GET", "/v1/audit?action=project.update");
      assert.equal(audit.body.length, 1, "exactly one update reached the audit log");
    });

    it("refuses a revoked token and a deleted binding on the next request, on every server", async () => {
      const [a, b] = servers;
      const issued = await call(a!.url, "POST", "/v1/tokens", { name: "short-lived", subject: "service:ci" });
      const as = { authorization: `Bearer ${issued.body.token}` };
      const binding = await call(a!.url, "POST", "/v1/projects/web/role-bindings", {
        subject: "service:ci",
        role: "viewer",
      });
      const env = "/v1/projects/web/environments/production";
      // Both processes have answered the token and its binding.
      for (const server of servers)
        assert.equal((await call(server.url, "GET", env, undefined, as)).status, 200);
      assert.equal(
        (
          await call(a!.url, "DELETE", `/v1/projects/web/role-bindings/${binding.body.id}`, undefined, {
            "if-match": `"${binding.body.version}"`,
          })
        ).status,
        204,
      );
      assert.equal(
        (await call(b!.url, "GET", env, undefined, as)).status,
        404,
        "the other server kept the binding",
      );
      assert.equal((await call(a!.url, "GET", "/v1/domains", undefined, as)).status, 200);
      assert.equal((await call(a!.url, "DELETE", `/v1/tokens/${issued.body.id}`)).status, 204);
      assert.equal(
        (await call(b!.url, "GET", "/v1/domains", undefined, as)).status,
        401,
        "the other server kept the token",
      );
      assert.equal((await call(a!.url, "GET", "/v1/domains", undefined, as)).status, 401);
    });

    it("admits exactly N of 200 concurrent reservations against maxConcurrentExecutions N", async () => {
      const limit = 7;
      const env = "/v1/projects/web/environments/production";
      assert.equal(
        (await call(servers[0]!.url, "PUT", `${env}/quota`, { maxConcurrentExecutions: limit })).status,
        200,
      );
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          call(servers[i % 2]!.url, "POST", `${env}/reservations`, { executions: 1 }),
        ),
      );
      const admitted = results.filter((r) => r.status === 201).length;
      assert.equal(
        admitted,
        limit,
        JSON.stringify(results.filter((r) => r.status !== 201 && r.status !== 409)),
      );
      assert.ok(results.every((r) => r.status === 201 || r.body.code === "quota_exceeded"));
      const quota = await call(servers[1]!.url, "GET", `${env}/quota`);
      assert.equal(quota.body.usage.executions, limit);
    });

    it("answers each admission of a group whose statement fails as it answers one alone, and writes none of them", async () => {
      const server = servers[0]!.url;
      await call(server, "POST", "/v1/projects", { name: "grouped" });
      await call(server, "POST", "/v1/projects/grouped/environments", { domain: "production" });
      const env = "/v1/projects/grouped/environments/production";
      const reserve = () => call(server, "POST", `${env}/reservations`, { cpu: "1" });
      const holder = new Client({ connectionString: url });
      await holder.connect();
      /** Cancels the statement of the admission that waits for the environment held here. */
      const cancelWaitingAdmission = async () => {
        await lockWaiters(holder, 1);
        await holder.query(
          "select pg_cancel_backend(pid) from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
        );
      };
      try {
        await holder.query("begin");
        await holder.query(
          "select 1 from environments where project = 'grouped' and name = 'production' for update",
        );
        // The first admission goes alone and waits for the environment; four more arrive meanwhile
        // and wait at the server for the next statement, which goes once the first has failed.
        const first = reserve();
        await lockWaiters(holder, 1);
        const group = Array.from({ length: 4 }, reserve);
        await new Promise((resolve) => setTimeout(resolve, 500));
        await cancelWaitingAdmission();
        // The admission that went alone answers as a cancelled statement does; so does each of the
        // group's, once its statement is cancelled in turn.
        const alone = await first;
        assert.notEqual(alone.status, 201);
        await cancelWaitingAdmission();
        const answers = await Promise.all(group);
        assert.deepEqual(
          answers.map((a) => [a.status, a.body.code]),
          Array(4).fill([alone.status, alone.body.code]),
        );
        await holder.query("rollback");
      } finally {
        await holder.end();
      }
      assert.deepEqual((await call(server, "GET", `${env}/reservations`)).body, []);
      assert.equal((await reserve()).status, 201);
    });

    /** The deadlocks PostgreSQL has detected in the test's database (backends report them within a
     * second of going idle). */
    async function deadlocks() {
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      const client = new Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ deadlocks: string }>(
          "select deadlocks from pg_stat_database where datname = current_database()",
        );
        return Number(rows[0]!.deadlocks);
      } finally {
        await client.end();
      }
    }

    /** Each project with an environment in each of its domains, and a ceiling. */
    async function projectsWithEnvironments(domainsOf: Record<string, string[]>) {
      const a = servers[0]!.url;
      for (const [project, domains] of Object.entries(domainsOf)) {
        assert.equal((await call(a, "POST", "/v1/projects", { name: project })).status, 201);
        for (const domain of domains) {
          await call(a, "POST", "/v1/domains", { name: domain, tier: "non-production" });
          const created = await call(a, "POST", `/v1/projects/${project}/environments`, { domain });
          assert.equal(created.status, 201, JSON.stringify(created.body));
        }
        assert.equal((await call(a, "PUT", `/v1/projects/${project}/quota`, { cpu: "100" })).status, 200);
      }
    }

    const transfer = (server: number, project: string, environment: string, destination: string) =>
      call(
        servers[server]!.url,
        "POST",
        `/v1/projects/${project}/environments/${environment}/transfer`,
        { project: destination },
        { "if-match": "1" },
      );

    it("moves environments out of one project, and between two projects both ways, at once without a deadlock", async () => {
      const domainsOf = {
        "from-a": ["a1", "a2", "a3", "a4", "a5"],
        "from-b": ["b1", "b2", "b3", "b4", "b5"],
      };
      await projectsWithEnvironments(domainsOf);
      const before = await deadlocks();
      // Four environments leave each project for the other, all at once, through both servers.
      const results = await Promise.all(
        [0, 1, 2, 3].flatMap((i) => [
          transfer(i % 2, "from-a", domainsOf["from-a"][i]!, "from-b"),
          transfer((i + 1) % 2, "from-b", domainsOf["from-b"][i]!, "from-a"),
        ]),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        results.map(() => 200),
        JSON.stringify(results.filter((r) => r.status !== 200).map((r) => r.body)),
      );
      const left = await call(servers[1]!.url, "GET", "/v1/projects/from-a/environments");
      assert.deepEqual((left.body as { name: string }[]).map((e) => e.name).sort(), [
        "a5",
        "b1",
        "b2",
        "b3",
        "b4",
      ]);
      assert.equal((await deadlocks()) - before, 0, "PostgreSQL detected a deadlock");
    });

    /**
     * Transfers `source`/v1 to `destination` while another writer, holding the destination, makes
     * PostgreSQL abort the transfer `aborts` times to break a deadlock; returns the answer.
     */
    async function transferAbortedByDeadlocks(source: string, destination: string, aborts: number) {
      const other = new Client({ connectionString: url });
      await other.connect();
      try {
        // A long deadlock timeout for the other writer: the server's transaction, waiting first,
        // is the one PostgreSQL aborts.
        await other.query("begin");
        await other.query("set local deadlock_timeout = '60s'");
        await other.query("select 1 from projects where name = $1 for update", [destination]);
        const moved = transfer(0, source, "v1", destination);
        for (let abort = 0; abort < aborts; abort++) {
          // Once the transfer holds the source's environments and waits for the destination, the
          // other writer asks for one of them: each waits for the other, until PostgreSQL aborts the
          // transfer. Rolling back to the savepoint lets go of that environment for the next attempt.
          await lockWaiters(other, 1);
          await other.query("savepoint held");
          await other.query("select 1 from environments where project = $1 and name = 'v1' for update", [
            source,
          ]);
          await other.query("rollback to savepoint held");
        }
        await other.query("commit");
        return await moved;
      } finally {
        await other.end();
      }
    }

    const transfersAudited = async (id: string) => {
      const audit = await call(servers[0]!.url, "GET", "/v1/audit?action=environment.transfer");
      return (audit.body as { targetId: string }[]).filter((e) => e.targetId === id).length;
    };

    it("runs a write again when PostgreSQL aborts it to break a deadlock", async () => {
      await projectsWithEnvironments({ "victim-a": ["v1", "v2"], "victim-b": ["v3"] });
      const before = await deadlocks();
      const result = await transferAbortedByDeadlocks("victim-a", "victim-b", 2);
      assert.equal(result.status, 200, JSON.stringify(result.body));
      assert.equal(result.body.project, "victim-b");
      assert.equal((await deadlocks()) - before, 2);
      assert.equal(await transfersAudited("victim-a/v1"), 1, "an aborted attempt left an audit entry");
    });

    it("answers conflict, having changed nothing, when PostgreSQL aborts a write three times", async () => {
      await projectsWithEnvironments({ "loser-a": ["v1", "v2"], "loser-b": ["v3"] });
      const before = await deadlocks();
      const result = await transferAbortedByDeadlocks("loser-a", "loser-b", 3);
      assert.equal(result.status, 409, JSON.stringify(result.body));
      assert.equal(result.body.code, "conflict");
      assert.match(result.body.detail, /concurrent writes .* aborted this one 3 times; retry/);
      assert.equal((await deadlocks()) - before, 3);
      assert.equal(await transfersAudited("loser-a/v1"), 0);
      const still = await call(servers[0]!.url, "GET", "/v1/projects/loser-a/environments/v1");
      assert.equal(still.status, 200);
    });

    it("never lets 1,000 reservations spread over a project's environments exceed its ceiling", async () => {
      const [a, b] = servers;
      await call(a!.url, "POST", "/v1/projects", { name: "batch" });
      await call(a!.url, "POST", "/v1/domains", { name: "development", tier: "non-production" });
      const environments = ["production", "development"];
      for (const domain of environments) {
        assert.equal((await call(a!.url, "POST", "/v1/projects/batch/environments", { domain })).status, 201);
      }
      // The environments' quotas limit executions only (150 each, within the ceiling's 300): the
      // ceiling's CPU is what binds, and the quotas show each environment's use.
      for (const environment of environments) {
        const quota = { maxConcurrentExecutions: 150 };
        await call(a!.url, "PUT", `/v1/projects/batch/environments/${environment}/quota`, quota);
      }
      await call(a!.url, "PUT", "/v1/projects/batch/quota", { cpu: "50", maxConcurrentExecutions: 300 });
      // As a runtime does: each reservation with its idempotency key, retried on 503 (a server whose
      // connections are all busy past 5 s says to retry) until it has an answer.
      const reserve = async (i: number) => {
        const url = `/v1/projects/batch/environments/${environments[(i >> 1) % 2]}/reservations`;
        const key = { "idempotency-key": `batch-${i}` };
        for (;;) {
          const result = await call(servers[i % 2]!.url, "POST", url, { cpu: "250m", executions: 1 }, key);
          if (result.status !== 503) return result;
          await new Promise((resolve) => setTimeout(resolve, 1000));
        }
      };
      const results = await Promise.all(Array.from({ length: 1000 }, (_, i) => reserve(i)));
      const admitted = results.filter((r) => r.status === 201).length;
      assert.ok(
        results.every((r) => r.status === 201 || r.body?.code === "quota_exceeded"),
        JSON.stringify(results.find((r) => r.status !== 201 && r.body?.code !== "quota_exceeded")),
      );
      // 50 CPUs in quarters: exactly 200 fit, fewer than the 300 executions allowed.
      assert.equal(admitted, 200);
      const ceiling = await call(b!.url, "GET", "/v1/projects/batch/quota");
      assert.equal(ceiling.body.usage.cpu, "50");
      assert.equal(ceiling.body.usage.executions, 200);

      // Releases beside admissions: each environment's totals stay what its live reservations hold.
      const admittedIds = results
        .filter((r) => r.status === 201)
        .map((r) => r.body as { id: string; environment: string });
      const released = await Promise.all(
        admittedIds
          .slice(0, 120)
          .map((r, i) =>
            call(
              servers[i % 2]!.url,
              "DELETE",
              `/v1/projects/batch/environments/${r.environment}/reservations/${r.id}`,
            ),
          ),
      );
      assert.ok(released.every((r) => r.status === 204));
      for (const environment of environments) {
        const path = `/v1/projects/batch/environments/${environment}`;
        const live = (await call(a!.url, "GET", `${path}/reservations`)).body as unknown[];
        const quota = await call(b!.url, "GET", `${path}/quota`);
        assert.equal(quota.body.usage.executions, live.length);
        assert.equal(parseQuantity(quota.body.usage.cpu), BigInt(live.length * 250), environment);
      }
      assert.equal((await call(b!.url, "GET", "/v1/projects/batch/quota")).body.usage.executions, 80);
    });
  },
);

describe("api pglite data folder", function () {
  this.timeout(120_000);

  it("refuses a second process with a clear error while the folder is open", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-lock-"));
    fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
    const store = await openStore({ kind: "pglite", dataDir });
    try {
      await assert.rejects(
        serve(["--data", dataDir], { TENANCY_SECRET_KEY: secretKey }),
        (err: Error & { code?: number }) => {
          assert.equal(err.code, 1);
          assert.match(
            err.message,
            new RegExp(`the data folder ${dataDir} is in use by process ${process.pid}`),
          );
          return true;
        },
      );
    } finally {
      await store.close();
    }
    // Once the owner has closed it, the folder opens again, with everything in it.
    const second = await serve(["--data", dataDir], { TENANCY_SECRET_KEY: secretKey });
    await second.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
