// The change feed: every committed change once, in commit order, to whoever may read it; held
// requests answered as soon as there is a change; older revisions than the feed keeps are `gone`.
import { strict as assert } from "node:assert";
import { sql } from "kysely";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

interface Page {
  revision: number;
  changes: {
    revision: number;
    kind: string;
    id: string;
    project?: string;
    environment?: string;
    action: string;
  }[];
}

for (const kind of STORES) {
  describe(`api change feed (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    const feed = async (after: number, options: { wait?: number; token?: string } = {}) => {
      const query = `after=${after}${options.wait !== undefined ? `&wait=${options.wait}` : ""}`;
      const answer = await server.request<Page>("GET", `/v1/changes?${query}`, {
        ...(options.token ? { token: options.token } : {}),
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      return answer.body;
    };

    beforeEach(async () => {
      server = await startTestServer(kind);
      await seed(server);
    });
    afterEach(async () => server.close());

    it("lists each change once, in order, and nothing after the revision it gave back", async () => {
      const first = await feed(0);
      // The bootstrap token came first.
      assert.deepEqual(first.changes[0]!.kind, "Token");
      assert.deepEqual(
        first.changes.slice(1).map((c) => [c.kind, c.id, c.action]),
        [
          ["Domain", "development", "created"],
          ["Domain", "staging", "created"],
          ["Domain", "production", "created"],
          ["Project", "web", "created"],
          ["Environment", "web/development", "created"],
          ["Environment", "web/production", "created"],
        ],
      );
      const revisions = first.changes.map((c) => c.revision);
      assert.deepEqual(
        revisions,
        [...revisions].sort((a, b) => a - b),
      );
      assert.equal(new Set(revisions).size, revisions.length);
      assert.equal(first.revision, revisions[revisions.length - 1]);
      assert.deepEqual(first.changes[5], {
        revision: revisions[5],
        kind: "Environment",
        id: "web/development",
        project: "web",
        environment: "development",
        action: "created",
      });
      assert.deepEqual((await feed(first.revision)).changes, []);

      const quota = "/v1/projects/web/environments/production/quota";
      assert.equal((await server.request("PUT", quota, { body: { cpu: "4" } })).status, 200);
      assert.equal(
        (await server.request("PUT", quota, { body: { cpu: "8" }, headers: { "if-match": "1" } })).status,
        200,
      );
      // A dry run, a reservation and a reveal change nothing the feed describes.
      assert.equal(
        (
          await server.request("PUT", `${quota}?dryRun=true`, {
            body: { cpu: "1" },
            headers: { "if-match": "2" },
          })
        ).status,
        200,
      );
      const reserved = await server.request("POST", "/v1/projects/web/environments/production/reservations", {
        body: { cpu: "1" },
      });
      assert.equal(reserved.status, 201, JSON.stringify(reserved.body));
      const secret = "/v1/projects/web/environments/production/secrets";
      assert.equal(
        (await server.request("POST", secret, { body: { name: "db", value: "s3cret" } })).status,
        201,
      );
      assert.equal((await server.request("POST", `${secret}/db/reveal`)).status, 200);
      assert.equal(
        (await server.request("DELETE", `${quota}`, { headers: { "if-match": "2" } })).status,
        204,
      );
      const next = await feed(first.revision);
      assert.deepEqual(
        next.changes.map((c) => [c.kind, c.id, c.action]),
        [
          ["Quota", "web/production", "created"],
          ["Quota", "web/production", "updated"],
          ["SecretBinding", "web/production/db", "created"],
          ["Quota", "web/production", "deleted"],
        ],
      );
      assert.ok(next.changes.every((c) => c.revision > first.revision));
    });

    it("holds a request with wait until a change commits, and answers the current revision when none does", async () => {
      const { revision } = await feed(0);
      const started = Date.now();
      const held = feed(revision, { wait: 20 });
      await new Promise((resolve) => setTimeout(resolve, 500));
      assert.equal((await server.request("POST", "/v1/projects", { body: { name: "api" } })).status, 201);
      const answer = await held;
      assert.ok(Date.now() - started < 5_000, "answered soon after the change, not at the end of the wait");
      assert.deepEqual(
        answer.changes.map((c) => [c.kind, c.id]),
        [["Project", "api"]],
      );
      const quiet = Date.now();
      const none = await feed(answer.revision, { wait: 1 });
      assert.ok(Date.now() - quiet >= 900, "held for the wait");
      assert.deepEqual(none, { revision: answer.revision, changes: [] });
    });

    it("lists only what the caller may read", async () => {
      assert.equal((await server.request("POST", "/v1/projects", { body: { name: "api" } })).status, 201);
      const env = await server.request("POST", "/v1/projects/api/environments", {
        body: { domain: "development" },
      });
      assert.equal(env.status, 201);
      const bound = await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { environment: "development", subject: "user:ada", role: "viewer" },
      });
      assert.equal(bound.status, 201, JSON.stringify(bound.body));
      const issued = await server.request("POST", "/v1/tokens", {
        body: { name: "ada", subject: "user:ada" },
      });
      assert.equal(issued.status, 201);
      const seen = await feed(0, { token: issued.body.token });
      const ids = seen.changes.map((c) => `${c.kind} ${c.id}`);
      assert.ok(ids.includes("Domain production"), ids.join());
      assert.ok(ids.includes("Project web"), ids.join());
      assert.ok(ids.includes("Environment web/development"), ids.join());
      assert.ok(!ids.includes("Environment web/production"), "an environment its binding does not cover");
      assert.ok(!ids.some((id) => id.includes("api")), "a project it holds no binding in");
      assert.ok(!ids.some((id) => id.startsWith("Token")), "tokens are for org admins");
      // What it may not read still moves it along.
      assert.equal(seen.revision, (await feed(0)).revision);
    });

    it("answers gone with the current revision for a revision older than the feed keeps", async () => {
      const { revision } = await feed(0);
      // As if the first changes had been made a day and more ago.
      await sql`update changes set at = now() - interval '25 hours' where revision <= 3`.execute(
        server.running.store.db,
      );
      const old = await server.request("GET", "/v1/changes?after=1");
      assertProblem(old, 410, "gone");
      assert.equal(old.body.revision, revision);
      assert.equal((await server.request("GET", "/v1/changes?after=3")).status, 200);
      assertProblem(await server.request("GET", "/v1/changes?after=0&wait=61"), 400, "validation_failed");
    });
  });
}
