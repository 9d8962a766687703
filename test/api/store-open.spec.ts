// Opening a store migrates it: a store one release behind gets the migrations it lacks, a store
// written by a newer release is refused, and one already up to date opens as it is.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Pool } from "pg";
import { Migrator, type MigrationProvider } from "kysely/migration";
import { createDatabase } from "../../scripts/harness";
import { migrations } from "../../server/store/migrations/index";
import { openStore, type StoreOptions } from "../../server/store/open";
import { pgliteDatabase } from "./databases";
import { STORES, type StoreKind } from "./server";

const names = Object.keys(migrations);

async function storeOptions(kind: StoreKind, dirs: string[]): Promise<StoreOptions> {
  if (kind === "postgres") return { kind, url: await createDatabase() };
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-open-"));
  dirs.push(dataDir);
  return { kind, dataDir };
}

/** The store's database without opening the store (so without migrating it). */
async function databaseOf(options: StoreOptions): Promise<Kysely<unknown>> {
  if (options.kind === "postgres") {
    return new Kysely({
      dialect: new PostgresDialect({ pool: new Pool({ connectionString: options.url }) }),
    });
  }
  return pgliteDatabase(path.join(options.dataDir, "pgdata"));
}

async function applied(options: StoreOptions): Promise<string[]> {
  const store = await openStore(options);
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
      store.db,
    );
    return rows.map((row) => row.name);
  } finally {
    await store.close();
  }
}

for (const kind of STORES) {
  describe(`store open (${kind})`, function () {
    this.timeout(120_000);
    const dirs: string[] = [];
    after(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    it("applies the migrations a store one release behind lacks", async () => {
      const options = await storeOptions(kind, dirs);
      const db = await databaseOf(options);
      try {
        // Migrated as the release before this one left it.
        const behind: MigrationProvider = {
          getMigrations: async () => Object.fromEntries(names.slice(0, -1).map((n) => [n, migrations[n]!])),
        };
        const { error } = await new Migrator({ db, provider: behind }).migrateToLatest();
        assert.equal(error, undefined);
      } finally {
        await db.destroy();
      }
      assert.deepEqual(await applied(options), names);
    });

    it("refuses a store a newer release migrated, and opens one already up to date", async () => {
      const options = await storeOptions(kind, dirs);
      assert.deepEqual(await applied(options), names);
      assert.deepEqual(await applied(options), names);
      const store = await openStore(options);
      try {
        await sql`insert into kysely_migration (name, timestamp) values ('9999_newer_release', ${new Date().toISOString()})`.execute(
          store.db,
        );
      } finally {
        await store.close();
      }
      await assert.rejects(openStore(options), /9999_newer_release/);
    });
  });
}
