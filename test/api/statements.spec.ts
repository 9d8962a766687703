// What a runtime's hot requests send to the database, counted at the query builder: a read of its
// environment or of its effective configuration is one statement (the token, its bindings and the
// object read together), requests that arrive together are authenticated by one statement, an
// admission and a quota write are one statement each (admissions into one environment that arrive
// together, one statement for all), and a release keeps to its few round trips.
import { strict as assert } from "node:assert";
import type { FastifyInstance } from "fastify";
import { Kysely, PostgresDialect } from "kysely";
import { Migrator } from "kysely/migration";
import { Pool } from "pg";
import { createDatabase } from "../../scripts/harness";
import { buildApp } from "../../server/http/app";
import { loadKeyring } from "../../server/keys";
import { createService, openKeys } from "../../server/service";
import { migrationProvider } from "../../server/store/migrations/index";
import type { Database } from "../../server/store/schema";
import { adminToken, secretKey, STORES } from "./server";

(STORES.includes("postgres") ? describe : describe.skip)(
  "api statements per request (postgres)",
  function () {
    this.timeout(60_000);
    let db: Kysely<Database>;
    let app: FastifyInstance;
    let sent: string[] | undefined;
    let runtimeToken: string;

    const call = async (
      method: "GET" | "POST" | "PUT" | "DELETE",
      url: string,
      token: string,
      body?: object,
      ifMatch?: number,
      idempotencyKey?: string,
    ) => {
      const response = await app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(ifMatch !== undefined ? { "if-match": String(ifMatch) } : {}),
          ...(idempotencyKey !== undefined ? { "idempotency-key": idempotencyKey } : {}),
        },
        ...(body ? { payload: body } : {}),
      });
      assert.ok(response.statusCode < 300, `${method} ${url}: ${response.statusCode} ${response.body}`);
      return response.statusCode === 204 ? undefined : response.json();
    };
    const verbs = (statements: string[]) => statements.map((s) => s.trim().split(/\s+/)[0]!.toLowerCase());
    /** The statements one request sends, in order. */
    const statementsOf = async (request: () => Promise<unknown>) => {
      sent = [];
      try {
        const body = await request();
        return { body, statements: sent };
      } finally {
        sent = undefined;
      }
    };

    before(async () => {
      db = new Kysely<Database>({
        dialect: new PostgresDialect({ pool: new Pool({ connectionString: await createDatabase() }) }),
        log: (event) => {
          sent?.push(event.query.sql);
        },
      });
      const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
      if (error) throw error;
      const service = createService({
        db,
        keyring: await openKeys(db, loadKeyring({ TENANCY_SECRET_KEY: secretKey }, undefined)),
      });
      await service.tokens.bootstrap(adminToken);
      // Revoking a token that 40 requests are using makes up to 40 failed authentications from one
      // address; this spec counts statements, not the failure limit (test/faults covers that).
      app = await buildApp({
        service,
        rateLimit: false,
        authFailureLimit: { max: 100_000, windowMs: 60_000 },
      });
      await call("POST", "/v1/domains", adminToken, { name: "production", tier: "production", order: 30 });
      await call("POST", "/v1/projects", adminToken, { name: "web" });
      await call("POST", "/v1/projects/web/environments", adminToken, { domain: "production" });
      await call("PUT", "/v1/projects/web/environments/production/quota", adminToken, { cpu: "4" });
      // A runtime: a plain token with a binding, so every request runs the role check.
      runtimeToken = (
        await call("POST", "/v1/tokens", adminToken, { name: "runner", subject: "service:runner" })
      ).token;
      await call("POST", "/v1/projects/web/role-bindings", adminToken, {
        subject: "service:runner",
        role: "admin",
        environment: "production",
      });
    });
    after(async () => {
      await app?.close();
      await db?.destroy();
    });

    it("reads an environment in one statement, with its token and bindings", async () => {
      const { body, statements } = await statementsOf(() =>
        call("GET", "/v1/projects/web/environments/production", runtimeToken),
      );
      assert.equal((body as { name: string }).name, "production");
      assert.equal(statements.length, 1, statements.join("\n"));
    });

    it("reads the effective configuration in one statement, with its token and bindings", async () => {
      const { body, statements } = await statementsOf(() =>
        call("GET", "/v1/projects/web/environments/production/effective", runtimeToken),
      );
      assert.equal((body as { quota: { cpu: string } }).quota.cpu, "4");
      assert.equal(statements.length, 1, statements.join("\n"));
    });

    it("authenticates requests that arrive together in one statement, each with its own token, project and answer", async () => {
      await call("POST", "/v1/projects", adminToken, { name: "api" });
      await call("POST", "/v1/projects/api/environments", adminToken, { domain: "production" });
      const apiToken = (await call("POST", "/v1/tokens", adminToken, { name: "api", subject: "service:api" }))
        .token;
      await call("POST", "/v1/projects/api/role-bindings", adminToken, {
        subject: "service:api",
        role: "viewer",
      });
      const env = (project: string) => `/v1/projects/${project}/environments/production`;
      const cases = [
        { url: env("web"), token: runtimeToken, status: 200, project: "web" },
        { url: `${env("web")}/effective`, token: runtimeToken, status: 200, project: "web" },
        { url: `${env("web")}/quota`, token: runtimeToken, status: 200, project: "web" },
        { url: env("api"), token: apiToken, status: 200, project: "api" },
        { url: `${env("api")}/effective`, token: apiToken, status: 200, project: "api" },
        // A stranger to the project is answered as if it did not exist.
        { url: env("api"), token: runtimeToken, status: 404 },
        { url: env("web"), token: apiToken, status: 404 },
        { url: `${env("web")}/effective`, token: "tny_not-a-token-of-this-store", status: 401 },
        { url: env("nowhere"), token: adminToken, status: 404 },
      ];
      const requests = Array.from({ length: 8 }, () => cases).flat();
      const { body: answers, statements } = await statementsOf(() =>
        Promise.all(
          requests.map((c) =>
            app.inject({ method: "GET", url: c.url, headers: { authorization: `Bearer ${c.token}` } }),
          ),
        ),
      );
      (answers as Awaited<ReturnType<FastifyInstance["inject"]>>[]).forEach((answer, i) => {
        const expected = requests[i]!;
        assert.equal(answer.statusCode, expected.status, `${expected.url}: ${answer.body}`);
        if (expected.project) assert.equal(answer.json().project, expected.project, expected.url);
      });
      const lookups = statements.filter((s) => /unnest/.test(s));
      assert.ok(
        lookups.length < requests.length / 4,
        `${requests.length} requests sent ${lookups.length} authentication statements`,
      );
    });

    it("looks a request's token up after the request arrived, never from a lookup already out", async () => {
      const token = (
        await call("POST", "/v1/tokens", adminToken, { name: "short", subject: "service:runner" })
      ).token;
      const url = "/v1/projects/web/environments/production";
      const get = () => app.inject({ method: "GET", url, headers: { authorization: `Bearer ${token}` } });
      assert.equal((await get()).statusCode, 200);
      const outstanding = Array.from({ length: 40 }, get);
      const id = (await call("GET", "/v1/tokens", adminToken)).find(
        (t: { name: string }) => t.name === "short",
      ).id;
      await call("DELETE", `/v1/tokens/${id}`, adminToken);
      const afterRevoke = await get();
      assert.equal(afterRevoke.statusCode, 401, afterRevoke.body);
      for (const answer of await Promise.all(outstanding)) assert.ok([200, 401].includes(answer.statusCode));
    });

    it("updates a quota in one statement, no transaction around it, audit included", async () => {
      const before = await call("GET", "/v1/projects/web/environments/production/quota", runtimeToken);
      const { statements } = await statementsOf(() =>
        call(
          "PUT",
          "/v1/projects/web/environments/production/quota",
          runtimeToken,
          { cpu: "5" },
          before.version,
        ),
      );
      // The token, then the write (environment and quota locked, claim, version and defaults
      // judged, row and audit entry written, ceilings above judged): nothing holds the
      // environment's lock between two statements.
      assert.deepEqual(verbs(statements), ["select", "select"], statements.join("\n"));
      assert.match(statements[1]!, /tenancy_put_quota/);
      const audit = await call("GET", "/v1/audit?limit=1", adminToken);
      assert.match(JSON.stringify(audit), /quota\.update/);
    });

    it("admits a reservation under a ceiling in one statement, no transaction around it, audit and key included", async () => {
      await call("PUT", "/v1/projects/web/quota", adminToken, { cpu: "10" });
      const env = "/v1/projects/web/environments/production";
      const admitted = await statementsOf(() =>
        call("POST", `${env}/reservations`, runtimeToken, { cpu: "2" }),
      );
      // The token, then the admission (environment locked, quota and ceilings judged, reservation,
      // audit entry and totals written): nothing holds the environment's lock between two
      // statements.
      assert.deepEqual(verbs(admitted.statements), ["select", "select"], admitted.statements.join("\n"));
      assert.match(admitted.statements[1]!, /tenancy_admit_group/);
      // With an Idempotency-Key: the key looked up first, then stored by the same statement.
      const keyed = await statementsOf(() =>
        call("POST", `${env}/reservations`, runtimeToken, { cpu: "1" }, undefined, "statements-1"),
      );
      assert.deepEqual(verbs(keyed.statements), ["select", "select", "select"], keyed.statements.join("\n"));
      const replayed = await statementsOf(() =>
        call("POST", `${env}/reservations`, runtimeToken, { cpu: "1" }, undefined, "statements-1"),
      );
      assert.deepEqual(replayed.body, keyed.body);
      assert.equal(replayed.statements.length, 2, replayed.statements.join("\n"));
      for (const { body } of [admitted, keyed]) {
        await call("DELETE", `${env}/reservations/${(body as { id: string }).id}`, runtimeToken);
      }
    });

    it("admits reservations that arrive together for one environment in one statement after the first", async () => {
      await call("POST", "/v1/projects", adminToken, { name: "busy" });
      await call("POST", "/v1/projects/busy/environments", adminToken, { domain: "production" });
      await call("POST", "/v1/projects/busy/role-bindings", adminToken, {
        subject: "service:runner",
        role: "admin",
      });
      const env = "/v1/projects/busy/environments/production";
      const { body, statements } = await statementsOf(() =>
        Promise.all(
          Array.from({ length: 12 }, () => call("POST", `${env}/reservations`, runtimeToken, { cpu: "1" })),
        ),
      );
      // The first goes alone; the eleven that arrive while it is out wait, and go together.
      const admissions = statements.filter((s) => /tenancy_admit_group/.test(s));
      assert.equal(admissions.length, 2, statements.join("\n"));
      const ids = (body as { id: string }[]).map((r) => r.id);
      assert.equal(new Set(ids).size, 12);
      const listed = (await call("GET", `${env}/reservations`, runtimeToken)) as { id: string }[];
      assert.deepEqual(listed.map((r) => r.id).sort(), [...ids].sort());
    });

    it("releases a reservation under a ceiling in three statements, audit included", async () => {
      const env = "/v1/projects/web/environments/production";
      const admitted = { body: await call("POST", `${env}/reservations`, runtimeToken, { cpu: "2" }) };
      const reservation = admitted.body as { id: string };
      const released = await statementsOf(() =>
        call("DELETE", `${env}/reservations/${reservation.id}`, runtimeToken),
      );
      // The token, then begin, the environment's lock, the release (reservation, totals and ceilings
      // lowered, history), the audit entry, commit.
      assert.deepEqual(
        verbs(released.statements),
        ["select", "begin", "select", "with", "insert", "commit"],
        released.statements.join("\n"),
      );
      const ceiling = await call("GET", "/v1/projects/web/quota", adminToken);
      assert.equal(ceiling.usage.cpu, "0");
      const quota = await call("GET", `${env}/quota`, runtimeToken);
      assert.equal(quota.usage.cpu, "0");
      const audit = await call("GET", "/v1/audit?limit=1", adminToken);
      assert.match(JSON.stringify(audit), /reservation\.delete/);
    });
  },
);
