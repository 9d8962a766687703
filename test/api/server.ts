// Starts a real control plane for a test: the HTTP server on 127.0.0.1 and a free port, over a
// copy of the PGlite template or a fresh database on the test PostgreSQL cluster.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Writable } from "node:stream";
import { createDatabase } from "../../scripts/harness/postgres-cluster";
import { startServer, type RunningServer } from "../../server/server";

export type StoreKind = "pglite" | "postgres";

/** The stores every api suite runs over; TENANCY_TEST_STORES narrows it (e.g. `pglite`). */
export const STORES = (process.env.TENANCY_TEST_STORES ?? "pglite,postgres").split(",") as StoreKind[];

export const adminToken = "tny_test-bootstrap-admin-token-0123456789";
export const secretKey = randomBytes(32).toString("base64");

export interface Response<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestServer {
  url: string;
  kind: StoreKind;
  running: RunningServer;
  /** Everything the server logged so far. */
  logs(): string;
  /** A database URL of this server's store (postgres only), for a second server process. */
  databaseUrl?: string;
  request<T = any>(
    method: string,
    url: string,
    options?: { token?: string | null; body?: unknown; headers?: Record<string, string> },
  ): Promise<Response<T>>;
  close(): Promise<void>;
}

export async function startTestServer(
  kind: StoreKind,
  options: {
    rateLimit?: { max: number; timeWindowMs: number };
    authFailureLimit?: { max: number; windowMs: number };
    requestTimeoutMs?: number;
    trustedProxies?: string[];
    /** The service's clock, for tests that step through expiries. */
    clock?: { now(): Date };
    maxAccess?: string;
  } = {},
): Promise<TestServer> {
  let logs = "";
  const logDestination = new Writable({
    write(chunk, _encoding, done) {
      logs += chunk.toString();
      done();
    },
  });
  const env = { ...process.env, TENANCY_BOOTSTRAP_TOKEN: adminToken, TENANCY_SECRET_KEY: secretKey };
  let dataDir: string | undefined;
  let databaseUrl: string | undefined;
  if (kind === "pglite") {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-api-"));
    fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
  } else {
    databaseUrl = await createDatabase();
  }
  const running = await startServer({
    store: kind === "pglite" ? { kind, dataDir: dataDir! } : { kind, url: databaseUrl! },
    port: 0,
    env,
    logLevel: "info",
    logDestination,
    rateLimit: options.rateLimit ?? { max: 100_000, timeWindowMs: 60_000 },
    // The suites send bad tokens on purpose from one address; the limit itself is tested in faults/.
    authFailureLimit: options.authFailureLimit ?? { max: 100_000, windowMs: 60_000 },
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.maxAccess ? { maxAccess: options.maxAccess } : {}),
  });
  return {
    url: running.url,
    kind,
    running,
    ...(databaseUrl ? { databaseUrl } : {}),
    logs: () => logs,
    async request(method, url, options = {}) {
      const headers: Record<string, string> = { ...options.headers };
      const token = options.token === undefined ? adminToken : options.token;
      if (token !== null) headers.authorization = `Bearer ${token}`;
      if (options.body !== undefined) headers["content-type"] ??= "application/json";
      const response = await fetch(running.url + url, {
        method,
        headers,
        ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    },
    async close() {
      await running.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
