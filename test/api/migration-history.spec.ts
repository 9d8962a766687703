// A database that followed every release, one migration per upgrade, must end exactly as one
// migrated at once from empty: the same stored functions (with the same bodies), tables, columns,
// indexes and constraints. Each stored function has one file with its current body, applied by
// every migration that introduces or changes it; this is what holds that scheme to account (a
// migration that forgot to re-apply a function it changed, or one that only works in one batch).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { Pool } from "pg";
import { createDatabase } from "../../scripts/harness";
import { migrationProvider, migrations } from "../../server/store/migrations/index";
import { pgliteDatabase } from "./databases";
import { STORES, type StoreKind } from "./server";

/** Opens an empty database of the store's kind; each open is a new connection, as a new server
 * version would make. */
async function emptyDatabase(kind: StoreKind) {
  if (kind === "postgres") {
    const url = await createDatabase();
    return {
      open: async () =>
        new Kysely<unknown>({ dialect: new PostgresDialect({ pool: new Pool({ connectionString: url }) }) }),
      dispose: async () => {},
    };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-history-"));
  return {
    open: () => pgliteDatabase(dir),
    dispose: async () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

/** What the schema holds, outside Kysely's own bookkeeping, in a stable order. */
async function catalog(db: Kysely<unknown>) {
  const functions = await sql<Record<string, string>>`
    select p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' as name,
        pg_get_function_result(p.oid) as result, l.lanname as language, p.provolatile as volatility,
        p.prosrc as body
      from pg_proc p
        join pg_namespace n on n.oid = p.pronamespace
        join pg_language l on l.oid = p.prolang
      where n.nspname = 'public'
      order by 1`.execute(db);
  const columns = await sql<Record<string, string>>`
    select table_name, column_name, data_type, is_nullable, coalesce(column_default, '') as column_default
      from information_schema.columns
      where table_schema = 'public' and table_name not like 'kysely%'
      order by table_name, column_name`.execute(db);
  const indexes = await sql<Record<string, string>>`
    select indexname, indexdef from pg_indexes
      where schemaname = 'public' and tablename not like 'kysely%'
      order by indexname`.execute(db);
  const constraints = await sql<Record<string, string>>`
    select c.conrelid::regclass::text as "table", c.conname as name, pg_get_constraintdef(c.oid) as definition
      from pg_constraint c
        join pg_namespace n on n.oid = c.connamespace
      where n.nspname = 'public' and c.conrelid::regclass::text not like 'kysely%'
      order by 1, 2`.execute(db);
  return {
    functions: functions.rows,
    columns: columns.rows,
    indexes: indexes.rows,
    constraints: constraints.rows,
  };
}

for (const kind of STORES) {
  describe(`store migration history (${kind})`, function () {
    this.timeout(120_000);

    it("ends a database upgraded one release at a time as one migrated at once", async () => {
      const stepwise = await emptyDatabase(kind);
      const atOnce = await emptyDatabase(kind);
      try {
        const names = Object.keys(migrations);
        for (const name of names) {
          const db = await stepwise.open();
          try {
            const { error, results } = await new Migrator({ db, provider: migrationProvider }).migrateUp();
            assert.equal(error, undefined, `${name}: ${String(error)}`);
            assert.deepEqual(
              results?.map((r) => r.migrationName),
              [name],
            );
          } finally {
            await db.destroy();
          }
        }
        const stepped = await stepwise.open();
        const once = await atOnce.open();
        try {
          assert.equal(
            (await new Migrator({ db: once, provider: migrationProvider }).migrateToLatest()).error,
            undefined,
          );
          const [a, b] = [await catalog(stepped), await catalog(once)];
          // The comparison is worth something only if the schema is there.
          assert.ok(a.functions.some((f) => f.name!.startsWith("tenancy_admit_group(")));
          assert.ok(a.columns.length > 50 && a.indexes.length > 10 && a.constraints.length > 10);
          assert.deepEqual(a, b);
        } finally {
          await stepped.destroy();
          await once.destroy();
        }
      } finally {
        await stepwise.dispose();
        await atOnce.dispose();
      }
    });
  });
}
