// A follower of the change feed sees every committed change exactly once, in order, while writers
// commit concurrently and in another order than they began: transactions that hold their changes
// uncommitted for a while, beside API writes, on PostgreSQL (PGlite runs one transaction at a time).
// A revision drawn when a change is made (a sequence) would let a follower pass a change that
// commits late; the feed draws it at the commit.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import pg from "pg";
import { STORES, startTestServer, type TestServer } from "./server";

interface Change {
  revision: number;
  kind: string;
  id: string;
}

(STORES.includes("postgres") ? describe : describe.skip)("api change feed order (postgres)", function () {
  this.timeout(600_000);
  let server: TestServer;
  let pool: pg.Pool;

  before(async () => {
    server = await startTestServer("postgres");
    pool = new pg.Pool({ connectionString: server.databaseUrl, max: 20 });
  });
  after(async () => {
    await pool?.end();
    await server?.close();
  });

  /** A transaction that makes `count` changes, then holds them uncommitted for `holdMs`. */
  async function slowWriter(ids: string[], holdMs: number) {
    const client = await pool.connect();
    try {
      await client.query("begin");
      for (const id of ids) {
        await client.query(
          "insert into audit (actor, action, target_kind, target_id, after) values ('test', 'team.update', 'Team', $1, '{}')",
          [id],
        );
      }
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      await client.query("commit");
    } finally {
      client.release();
    }
  }

  /** Follows the feed from `after` until `done()` and it has caught up; returns what it saw. */
  async function follow(after: number, done: () => boolean): Promise<Change[]> {
    const seen: Change[] = [];
    let revision = after;
    for (;;) {
      const finished = done();
      const page = await server.request<{ revision: number; changes: Change[] }>(
        "GET",
        `/v1/changes?after=${revision}`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.changes);
      revision = page.body.revision;
      // Once every writer is done, one more look after that catches what committed last.
      if (finished && page.body.changes.length === 0) return seen;
    }
  }

  it("lets a follower miss nothing and see nothing twice, whatever order writers commit in", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            startMs: fc.integer({ min: 0, max: 40 }),
            holdMs: fc.integer({ min: 0, max: 120 }),
            changes: fc.integer({ min: 1, max: 3 }),
            viaApi: fc.boolean(),
          }),
          { minLength: 2, maxLength: 12 },
        ),
        async (writers) => {
          run++;
          const start = await server.request<{ revision: number }>("GET", "/v1/changes?after=0");
          let finished = false;
          const expected: string[] = [];
          const writes = writers.map(async (w, i) => {
            await new Promise((resolve) => setTimeout(resolve, w.startMs));
            const ids = Array.from({ length: w.changes }, (_, k) => `r${run}-w${i}-c${k}`);
            if (w.viaApi) {
              for (const id of ids) {
                const created = await server.request("POST", "/v1/teams", { body: { name: id } });
                assert.equal(created.status, 201, JSON.stringify(created.body));
              }
            } else {
              await slowWriter(ids, w.holdMs);
            }
            expected.push(...ids);
          });
          const following = follow(start.body.revision, () => finished);
          await Promise.all(writes);
          finished = true;
          const seen = (await following).filter((c) => c.id.startsWith(`r${run}-`));
          const revisions = seen.map((c) => c.revision);
          assert.deepEqual(
            revisions,
            [...revisions].sort((a, b) => a - b),
            "in revision order",
          );
          assert.equal(new Set(revisions).size, revisions.length, "no revision twice");
          assert.deepEqual(seen.map((c) => c.id).sort(), [...expected].sort(), "every change, once");
        },
      ),
      { numRuns: 25 },
    );
  });
});
