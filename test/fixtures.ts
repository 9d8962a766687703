// Mocha global fixtures: run once in the main process before any test file (also in parallel mode,
// where the workers inherit the environment set here).
// - A PGlite folder initialised and migrated once, which each test copies: initialising a cluster
//   takes seconds, copying the folder a fraction of that.
// - A PostgreSQL 15 cluster from Debian's binaries in a temporary folder on a free port, run as the
//   postgres user when we are root (initdb refuses root); each test creates its own database.
import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { openStore } from "../server/store/open";

const repoRoot = path.resolve(__dirname, "..");
let root: string | undefined;
let pgData: string | undefined;
let pgBin: string | undefined;

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function asPostgresUser(command: string, args: string[]) {
  const isRoot = process.getuid?.() === 0;
  const [file, argv] = isRoot ? ["runuser", ["-u", "postgres", "--", command, ...args]] : [command, args];
  const result = spawnSync(file, argv, { encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${result.status}):\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}

export async function mochaGlobalSetup() {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-tests-"));
  fs.chmodSync(root, 0o755);

  const template = path.join(root, "pglite-template");
  const store = await openStore({ kind: "pglite", dataDir: template });
  await store.close();
  process.env.TENANCY_TEST_PGLITE_TEMPLATE = template;

  const stores = (process.env.TENANCY_TEST_STORES ?? "pglite,postgres").split(",");
  if (stores.includes("postgres")) {
    pgBin = execFileSync("bash", [path.join(repoRoot, "scripts/ensure-postgres.sh")], {
      encoding: "utf8",
    }).trim();
    pgData = path.join(root, "pgdata");
    fs.mkdirSync(pgData);
    if (process.getuid?.() === 0) execFileSync("chown", ["postgres:postgres", pgData]);
    asPostgresUser(path.join(pgBin, "initdb"), [
      "-D",
      pgData,
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    const port = await freePort();
    const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${pgData} -c max_connections=200 -c fsync=off`;
    asPostgresUser(path.join(pgBin, "pg_ctl"), [
      "-D",
      pgData,
      "-o",
      options,
      "-l",
      path.join(pgData, "server.log"),
      "-w",
      "start",
    ]);
    process.env.TENANCY_TEST_PG_URL = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }
}

export async function mochaGlobalTeardown() {
  if (pgBin && pgData) asPostgresUser(path.join(pgBin, "pg_ctl"), ["-D", pgData, "-m", "fast", "-w", "stop"]);
  if (root) fs.rmSync(root, { recursive: true, force: true });
}
