// Opening a store: PostgreSQL through `pg`, or PGlite (PostgreSQL in WebAssembly) persisted in a
// data folder. Both get the same migrations and the same SQL.
import * as fs from "node:fs";
import * as path from "node:path";
import { Kysely, PostgresDialect, PGliteDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { TenancyError } from "../../model";
import { migrationProvider, migrations } from "./migrations/index";
import { prepareRepeatedStatements } from "./prepared-statements";
import type { Database } from "./schema";

export type StoreOptions =
  { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string; poolSize?: number };

/** An open store: the query builder and how to close it. */
export interface Store {
  readonly db: Kysely<Database>;
  readonly kind: StoreOptions["kind"];
  close(): Promise<void>;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  const store = options.kind === "pglite" ? await openPglite(options.dataDir) : await openPostgres(options);
  try {
    await migrate(store.db);
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/**
 * Whether the database holds exactly the migrations this code has, all applied. The Migrator would
 * then do nothing, after checks (an introspection of every table's columns, a lock) that take a
 * quarter of a second on PGlite, at every command's open. Anything else, a new database included
 * (no migration table yet), goes to the Migrator, which applies or refuses as before.
 */
async function upToDate(db: Kysely<Database>): Promise<boolean> {
  const known = Object.keys(migrations).sort();
  try {
    const { rows } = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
    const applied = rows.map((row) => row.name).sort();
    return applied.length === known.length && applied.every((name, i) => name === known[i]);
  } catch {
    return false;
  }
}

async function migrate(db: Kysely<Database>) {
  if (await upToDate(db)) return;
  const migrator = new Migrator({ db, provider: migrationProvider });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`migration ${failed} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** How long a request waits for a database connection before it is answered `unavailable`. */
const connectTimeoutMs = 5_000;

async function openPostgres(options: { url: string; poolSize?: number }): Promise<Store> {
  const { Pool } = await import("pg");
  const pool = new Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: connectTimeoutMs,
  });
  // A client whose server went away (a restart, an outage) emits "error", idle or checked out;
  // unhandled, that would end the process. The query in flight fails with the same error (answered
  // `unavailable`), and the pool replaces the broken client at the next request.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  prepareRepeatedStatements(pool);
  // Fail now, with the reason, rather than at the first request.
  const client = await pool.connect().catch(async (err: Error) => {
    await pool.end();
    throw new Error(`cannot connect to PostgreSQL: ${err.message}`, { cause: err });
  });
  client.release();
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: "postgres", close: () => db.destroy() };
}

const lockFileName = "tenancy.lock";

/**
 * The data folder holds every secret's ciphertext and every token's hash: it is 0700 and its files
 * 0600, whatever the umask. The folder's own mode keeps others out of files PGlite creates while it
 * runs; opening and closing set every file's mode too.
 */
export function restrictDataDir(dir: string): void {
  fs.chmodSync(dir, 0o700);
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) restrictDataDir(full);
    else if (entry.isFile()) fs.chmodSync(full, 0o600);
  }
}

/**
 * PostgreSQL zeroes its shared buffers at every start, and in WebAssembly that costs about 3.5 ms per
 * MB: the default 128 MB took half a second of every command's open. An embedded store is small and
 * its files stay in the OS cache, so 16 MB of buffers loses little.
 */
const pgliteSharedBuffers = "16MB";

async function openPglite(dataDir: string): Promise<Store> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  restrictDataDir(dataDir);
  const releaseLock = lockDataDir(dataDir);
  try {
    const { PGlite } = await import("@electric-sql/pglite");
    const pglite = await PGlite.create(path.join(dataDir, "pgdata"), {
      startParams: [...PGlite.defaultStartParams, "-c", `shared_buffers=${pgliteSharedBuffers}`],
    });
    restrictDataDir(dataDir);
    const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
    return {
      db,
      kind: "pglite",
      close: async () => {
        try {
          await db.destroy();
          if (!pglite.closed) await pglite.close();
          restrictDataDir(dataDir);
        } finally {
          releaseLock();
        }
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * PGlite keeps the whole cluster in one process: a second process opening the same folder would
 * corrupt it. A lock file holding the owner's pid keeps a second opener out with a clear error, and
 * is taken over when its owner has died.
 */
function lockDataDir(dataDir: string): () => void {
  const lockPath = path.join(dataDir, lockFileName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: "wx", mode: 0o600 });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const owner = Number(fs.readFileSync(lockPath, "utf8").trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
        throw new TenancyError(
          "conflict",
          `the data folder ${dataDir} is in use by process ${owner}; stop it, or talk to its control plane over HTTP`,
        );
      }
      if (owner === process.pid) {
        throw new TenancyError("conflict", `the data folder ${dataDir} is already open in this process`);
      }
      fs.rmSync(lockPath, { force: true }); // its owner is gone
    }
  }
  throw new TenancyError("conflict", `could not lock the data folder ${dataDir}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
