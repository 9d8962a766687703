// Statements sent again and again are prepared once per connection; a prepared statement whose
// result changes shape under it (a migration run by another server) is prepared afresh, not left
// failing.
import { strict as assert } from "node:assert";
import { sql } from "kysely";
import { Client } from "pg";
import { createDatabase } from "../../scripts/harness";
import { openStore, type Store } from "../../server/store/open";
import { isDatabaseUnavailable } from "../../server/store/unavailable";
import { STORES } from "./server";

(STORES.includes("postgres") ? describe : describe.skip)("store prepared statements (postgres)", function () {
  this.timeout(60_000);
  let store: Store;
  let url: string;
  beforeEach(async () => {
    url = await createDatabase();
    // One connection, so what it has prepared is what pg_prepared_statements shows.
    store = await openStore({ kind: "postgres", url, poolSize: 1 });
  });
  afterEach(async () => store.close());

  const prepared = async () =>
    (
      await sql<{ statement: string }>`select statement from pg_prepared_statements`.execute(store.db)
    ).rows.map((r) => r.statement);
  const domainsQuery = () => store.db.selectFrom("domains").selectAll().where("name", "=", "production");
  const readDomains = () => domainsQuery().execute();

  it("prepares a statement from its third use, and never a transaction's begin or commit", async () => {
    const text = domainsQuery().compile().sql;
    for (let i = 0; i < 2; i++) await readDomains();
    assert.ok(!(await prepared()).includes(text), "prepared before its third use");
    await readDomains();
    for (let i = 0; i < 3; i++)
      await store.db.transaction().execute(async (tx) => tx.selectFrom("domains").select("name").execute());
    const statements = await prepared();
    assert.ok(statements.includes(text), JSON.stringify(statements));
    assert.ok(!statements.some((s) => /^\s*(begin|commit)/i.test(s)), JSON.stringify(statements));
  });

  it("prepares afresh a statement whose result changed shape: alone it is sent again, in a transaction it is retryable", async () => {
    await sql`create table widgets (id int)`.execute(store.db);
    await sql`insert into widgets values (1)`.execute(store.db);
    const readWidgets = (q = store.db) =>
      q
        .selectFrom("widgets" as never)
        .selectAll()
        .execute();
    for (let i = 0; i < 4; i++) await readWidgets();
    const other = new Client({ connectionString: url });
    await other.connect();
    try {
      await other.query("alter table widgets add column colour text default 'red'");
      assert.deepEqual(await readWidgets(), [{ id: 1, colour: "red" }]);
      for (let i = 0; i < 4; i++) await readWidgets();
      await other.query("alter table widgets add column size int default 3");
      await assert.rejects(
        store.db.transaction().execute(async (tx) => readWidgets(tx as never)),
        (err: unknown) => isDatabaseUnavailable(err),
      );
      assert.deepEqual(await store.db.transaction().execute(async (tx) => readWidgets(tx as never)), [
        { id: 1, colour: "red", size: 3 },
      ]);
    } finally {
      await other.end();
    }
  });
});
