// Mocha global fixtures: run once in the main process before any test file (also in parallel mode,
// where the workers inherit the environment set here).
// - A PGlite folder initialised and migrated once, which each test copies: initialising a cluster
//   takes seconds, copying the folder a fraction of that.
// - A PostgreSQL 15 cluster (scripts/harness/postgres-cluster.ts); each test creates its own database.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startPostgresCluster, type PostgresCluster } from "../scripts/harness/postgres-cluster";
import { openStore } from "../server/store/open";

let root: string | undefined;
let cluster: PostgresCluster | undefined;

export async function mochaGlobalSetup() {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-tests-"));
  fs.chmodSync(root, 0o755);

  const template = path.join(root, "pglite-template");
  const store = await openStore({ kind: "pglite", dataDir: template });
  await store.close();
  process.env.TENANCY_TEST_PGLITE_TEMPLATE = template;

  const stores = (process.env.TENANCY_TEST_STORES ?? "pglite,postgres").split(",");
  if (stores.includes("postgres")) {
    cluster = await startPostgresCluster(path.join(root, "pgdata"));
    process.env.TENANCY_TEST_PG_URL = cluster.url;
  }
}

export async function mochaGlobalTeardown() {
  cluster?.stop();
  if (root) fs.rmSync(root, { recursive: true, force: true });
}
