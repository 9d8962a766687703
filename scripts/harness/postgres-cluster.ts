// A throwaway PostgreSQL 15 cluster from Debian's server binaries in a temporary folder, on a free
// port, run as the postgres user when we are root (initdb refuses root); and fresh databases on it.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { Client } from "pg";
import { repoRoot } from "./commands";

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

export interface PostgresCluster {
  /** The superuser's URL on the cluster's default database. */
  url: string;
  /** Stops the server: `fast` rolls back open transactions, `immediate` aborts without a checkpoint. */
  stop(mode?: "fast" | "immediate"): void;
  /** Starts it again on the same port. */
  start(): void;
}

/** Initialises and starts a cluster in `dataDir` (created), installing the binaries when missing. */
export async function startPostgresCluster(dataDir: string): Promise<PostgresCluster> {
  const bin = execFileSync("bash", [path.join(repoRoot, "scripts/ensure-postgres.sh")], {
    encoding: "utf8",
  }).trim();
  fs.mkdirSync(dataDir);
  if (process.getuid?.() === 0) execFileSync("chown", ["postgres:postgres", dataDir]);
  asPostgresUser(path.join(bin, "initdb"), [
    "-D",
    dataDir,
    "-U",
    "postgres",
    "--auth=trust",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dataDir} -c max_connections=200 -c fsync=off`;
  const pgCtl = path.join(bin, "pg_ctl");
  const start = () =>
    void asPostgresUser(pgCtl, [
      "-D",
      dataDir,
      "-o",
      options,
      "-l",
      path.join(dataDir, "server.log"),
      "-w",
      "start",
    ]);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop: (mode = "fast") => void asPostgresUser(pgCtl, ["-D", dataDir, "-m", mode, "-w", "stop"]),
    start,
  };
}

/** A fresh database on the cluster at `adminUrl` (default: the test cluster's); returns its URL. */
export async function createDatabase(adminUrl = process.env.TENANCY_TEST_PG_URL): Promise<string> {
  if (!adminUrl) throw new Error("TENANCY_TEST_PG_URL is unset: the postgres fixture did not run");
  const name = `t_${randomBytes(6).toString("hex")}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
