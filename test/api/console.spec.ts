// The console's aggregates over both stores: the matrix and project page hold exactly what the token
// reads, with each cell's fullest dimension and running executions; a pair's executions over 24
// hours count live and released reservations at each sample; the audit log filters by project and
// pages.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createDatabase } from "../../scripts/harness";
import { createKeyring, createService, type Actor } from "../../server/service";
import { openStore, type Store } from "../../server/store/open";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

for (const kind of STORES) {
  describe(`api console aggregates (${kind})`, function () {
    this.timeout(60_000);
    let server: TestServer;
    let viewer: string;
    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      const ok = async (method: string, url: string, body?: unknown) => {
        const response = await server.request(method, url, { body });
        assert.ok(response.status < 300, `${method} ${url}: ${JSON.stringify(response.body)}`);
        return response.body;
      };
      await ok("POST", "/v1/projects", { name: "ml", labels: { team: "research" } });
      await ok("POST", "/v1/projects/ml/environments", { domain: "production" });
      await ok("PUT", "/v1/projects/web/environments/production/quota", {
        cpu: "4",
        memory: "8Gi",
        maxConcurrentExecutions: 10,
      });
      await ok("POST", "/v1/projects/web/environments/production/reservations", {
        cpu: "3",
        memory: "1Gi",
        executions: 2,
      });
      await ok("POST", "/v1/projects/web/role-bindings", {
        environment: "production",
        subject: "user:env-viewer",
        role: "viewer",
      });
      viewer = (await ok("POST", "/v1/tokens", { name: "env viewer", subject: "user:env-viewer" })).token;
    });
    after(async () => server.close());

    it("gives an org admin every project, with each cell's fullest dimension and running executions", async () => {
      const matrix = (await server.request("GET", "/v1/console/matrix")).body;
      assert.deepEqual(
        matrix.domains.map((d: { name: string }) => d.name),
        ["development", "staging", "production"],
      );
      assert.deepEqual(
        matrix.projects.map((p: { name: string }) => p.name),
        ["ml", "web"],
      );
      const web = matrix.projects.find((p: { name: string }) => p.name === "web");
      assert.deepEqual(web.environments, [
        { name: "development", domain: "development", protected: false, fullest: null, running: 0 },
        {
          name: "production",
          domain: "production",
          protected: false,
          fullest: { dimension: "cpu", used: "3", limit: "4", percent: 75 },
          running: 2,
        },
      ]);
    });

    it("gives a viewer of one environment that environment only", async () => {
      const matrix = (await server.request("GET", "/v1/console/matrix", { token: viewer })).body;
      assert.deepEqual(
        matrix.projects.map((p: { name: string; environments: { name: string }[] }) => [
          p.name,
          p.environments.map((e) => e.name),
        ]),
        [["web", ["production"]]],
      );
      const page = (await server.request("GET", "/v1/console/projects/web", { token: viewer })).body;
      assert.deepEqual(
        page.environments.map((e: { name: string }) => e.name),
        ["production"],
      );
      assert.deepEqual(
        page.access.map((a: { subject: string }) => a.subject),
        ["user:env-viewer"],
      );
      assertProblem(
        await server.request("GET", "/v1/console/projects/ml", { token: viewer }),
        404,
        "not_found",
      );
      assertProblem(
        await server.request("GET", "/v1/console/projects/web/environments/development", { token: viewer }),
        404,
        "not_found",
      );
      const pair = await server.request("GET", "/v1/console/projects/web/environments/production", {
        token: viewer,
      });
      assert.equal(pair.status, 200, JSON.stringify(pair.body));
      assert.equal(pair.body.executions.length, 24 * 4 + 1);
      assert.equal(pair.body.executions.at(-1).running, 2);
    });

    it("filters the audit log by project and pages through it", async () => {
      const ml = (await server.request("GET", "/v1/audit?project=ml")).body as { targetId: string }[];
      assert.deepEqual(
        ml.map((e) => e.targetId),
        ["ml/production", "ml"],
      );
      const first = (await server.request("GET", "/v1/audit?limit=2")).body as { id: number }[];
      const second = (await server.request("GET", `/v1/audit?limit=2&before=${first[1]!.id}`)).body as {
        id: number;
      }[];
      assert.equal(second.length, 2);
      assert.ok(second[0]!.id < first[1]!.id);
    });
  });

  describe(`console executions history (${kind})`, function () {
    this.timeout(60_000);
    let store: Store;
    let dataDir: string | undefined;
    before(async () => {
      if (kind === "pglite") {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-history-"));
        fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
        store = await openStore({ kind, dataDir });
      } else {
        store = await openStore({ kind, url: await createDatabase() });
      }
    });
    after(async () => {
      await store.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    it("counts each reservation at the samples between its admission and its release", async () => {
      const start = new Date("2026-06-01T12:00:00Z").getTime();
      let now = start;
      const minutes = (m: number) => start + m * 60_000;
      const service = createService({
        db: store.db,
        keyring: createKeyring([randomBytes(32)]),
        clock: { now: () => new Date(now) },
      });
      const admin: Actor = { tokenId: "t", name: "admin", subject: "user:admin", teams: [], orgAdmin: true };
      await service.domains.create(admin, { name: "production", tier: "production" });
      await service.projects.create(admin, { name: "web" });
      await service.environments.create(admin, "web", { domain: "production" });
      const released = await service.reservations.create(admin, "web", "production", { executions: 1 });
      now = minutes(30);
      await service.reservations.remove(admin, "web", "production", released.id);
      now = minutes(45);
      await service.reservations.create(admin, "web", "production", { executions: 2 });
      now = minutes(60);
      const { executions } = await service.console.pair(admin, "web", "production");
      assert.equal(executions.length, 24 * 4 + 1);
      assert.deepEqual(executions.slice(-5), [
        { at: new Date(minutes(0)).toISOString(), running: 1 },
        { at: new Date(minutes(15)).toISOString(), running: 1 },
        { at: new Date(minutes(30)).toISOString(), running: 0 },
        { at: new Date(minutes(45)).toISOString(), running: 2 },
        { at: new Date(minutes(60)).toISOString(), running: 2 },
      ]);
      // Eight days later the release is gone from the history (dropped at the next release).
      now = minutes(8 * 24 * 60 + 60);
      const late = await service.reservations.create(admin, "web", "production", { executions: 1 });
      await service.reservations.remove(admin, "web", "production", late.id);
      const rows = await store.db.selectFrom("reservation_history").select("id").execute();
      assert.deepEqual(
        rows.map((r) => r.id),
        [late.id],
      );
    });
  });
}
