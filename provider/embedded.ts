// The embedded transport: the control plane's own HTTP app over PGlite in a local folder. One
// process holds a folder at a time. When a process that keeps it open (`tenancy serve`, or a store
// kept open between commands with TENANCY_KEEP_OPEN) answers on the folder's socket, requests go
// there; otherwise this process opens the folder and drives the app through inject(), so requests
// take exactly the path they take over the network. Without a token it acts as the folder's owner
// (an org admin): whoever can open the folder can read the database anyway.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { TenancyError, errorCodes, fromProblem, type ErrorCode, type Problem } from "../model";
import { createHttpTransport, ownershipHeaders, successOf, type ApiRequest, type Transport } from "../client";
import { folderSocketPath } from "../server/folder-socket";

const opened = new Map<string, Promise<{ app: FastifyInstance; close(): Promise<void> }>>();

function open(dataDir: string) {
  // Loaded on first use: a program that talks HTTP, or to a folder's socket, never loads the server
  // or PGlite.
  const { openFolder } = require("../server/folder") as typeof import("../server/folder");
  return openFolder(dataDir);
}

// At most a day: a longer wait is a process nobody remembers holding the folder.
const keepOpenSchema = z.string().regex(/^\d+$/).transform(Number).pipe(z.number().max(86_400));

/** TENANCY_KEEP_OPEN: seconds a store started for a command stays open after its last user; 0 or
 * unset, the store closes with the command. */
export function keepOpenSeconds(env: NodeJS.ProcessEnv): number {
  const raw = env.TENANCY_KEEP_OPEN;
  if (raw === undefined || raw.trim() === "") return 0;
  const parsed = keepOpenSchema.safeParse(raw);
  if (!parsed.success) {
    const message = "whole seconds, at most 86400 (0: the store closes with the command)";
    throw new TenancyError("validation_failed", `TENANCY_KEEP_OPEN is '${raw}': ${message}`, {
      errors: [{ path: "TENANCY_KEEP_OPEN", message }],
    });
  }
  return parsed.data;
}

/** Whether something listens on the socket: a holder that died leaves the file, refusing connections. */
function answers(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(socketPath);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A first open of a new store creates its database: seconds, more on a slow disk. */
const keptOpenStartMs = 120_000;

/** Starts a detached process that keeps the folder open (server/keep-open) and waits for its socket. */
async function startKeptOpen(dataDir: string, socketPath: string, idleSeconds: number): Promise<void> {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const logPath = path.join(dataDir, "tenancy-keep-open.log");
  const log = fs.openSync(logPath, "w", 0o600);
  // From the sources (the tests), the entry is TypeScript, run through the loader they run under.
  const entry = require.resolve("../server/keep-open");
  const child = spawn(
    process.execPath,
    [...(entry.endsWith(".ts") ? ["--import", "tsx"] : []), entry, dataDir, String(idleSeconds)],
    // Its own folder, where the loader resolves, rather than the command's, which it would outlive.
    { detached: true, stdio: ["ignore", "ignore", log], cwd: path.dirname(entry) },
  );
  fs.closeSync(log);
  let exited = false;
  child.once("exit", () => (exited = true));
  child.unref();
  const deadline = Date.now() + keptOpenStartMs;
  while (Date.now() < deadline) {
    if (await answers(socketPath)) return;
    // Another command's holder may have won the folder: its socket answers once it is open.
    if (exited && !(await answers(socketPath))) throw startFailure(logPath);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill();
  throw new TenancyError("unavailable", `the store kept open in ${dataDir} did not answer within 120 s`);
}

/** What server/keep-open writes as its last line when it cannot start. */
const startFailureSchema = z.object({
  code: z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
});

function startFailure(logPath: string): TenancyError {
  const text = fs.readFileSync(logPath, "utf8").trim();
  let last: unknown;
  try {
    last = JSON.parse(text.split("\n").pop() ?? "");
  } catch {
    last = undefined; // not its own line: a crash, whose text is reported whole
  }
  const parsed = startFailureSchema.safeParse(last);
  return parsed.success
    ? new TenancyError(parsed.data.code, `keeping the store open: ${parsed.data.message}`)
    : new TenancyError("unavailable", `keeping the store open failed: ${text || "no output"}`);
}

/** How many times a request goes to a folder whose holder went away before it is given up. */
const rehomeAttempts = 3;

export function createEmbeddedTransport(options: {
  dataDir: string;
  token?: string;
  /** Default: TENANCY_KEEP_OPEN (keepOpenSeconds). */
  keepOpenSeconds?: number;
}): Transport {
  const { dataDir } = options;
  const inProcess: Transport = {
    async send<T>(request: ApiRequest): Promise<T> {
      let entry = opened.get(dataDir);
      if (!entry) {
        entry = open(dataDir);
        entry.catch(() => opened.delete(dataDir));
        opened.set(dataDir, entry);
      }
      const { app } = await entry;
      return inject<T>(app, request, options.token);
    },
    async close() {
      const entry = opened.get(dataDir);
      opened.delete(dataDir);
      if (entry) await (await entry).close();
    },
  };
  const throughSocket = (socketPath: string): Transport =>
    createHttpTransport({
      endpoint: "http://localhost",
      socketPath,
      ...(options.token ? { token: options.token } : {}),
      // A holder that went away is not waited for: the request goes to the folder's next holder.
      retryTimeoutMs: 0,
    });
  const route = async (): Promise<Transport> => {
    if (opened.has(dataDir)) return inProcess;
    const idleSeconds = options.keepOpenSeconds ?? keepOpenSeconds(process.env);
    const socketPath = folderSocketPath(dataDir);
    if (!socketPath) {
      if (idleSeconds === 0) return inProcess;
      throw new TenancyError(
        "validation_failed",
        `TENANCY_KEEP_OPEN: the path of ${dataDir} is too long for the folder's socket (107 bytes with "/tenancy.sock")`,
        { errors: [{ path: "TENANCY_KEEP_OPEN", message: "the folder's path is too long to keep it open" }] },
      );
    }
    if (await answers(socketPath)) return throughSocket(socketPath);
    if (idleSeconds === 0) return inProcess;
    await startKeptOpen(dataDir, socketPath, idleSeconds);
    return throughSocket(socketPath);
  };
  let current: Promise<Transport> | undefined;
  return {
    async send<T>(request: ApiRequest): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        if (!current) {
          const routed = route();
          routed.catch(() => {
            if (current === routed) current = undefined;
          });
          current = routed;
        }
        const through = await current;
        try {
          return await through.send<T>(request);
        } catch (err) {
          // The socket's holder stopped (it was idle, or killed): the request goes to whoever holds
          // the folder next. Sending again is as safe as the HTTP transport's retries: creates carry
          // an Idempotency-Key and updates an If-Match.
          const holderGone =
            through !== inProcess && TenancyError.isInstance(err) && err.code === "unavailable";
          if (!holderGone || attempt >= rehomeAttempts) throw err;
          current = undefined;
          await through.close?.();
        }
      }
    },
    async close() {
      const transport = current;
      current = undefined;
      const through = await transport?.catch(() => undefined);
      if (through && through !== inProcess) await through.close?.();
      // The folder opened in this process is shared by its transports: closing any of them closes
      // it, also one that never sent a request (a program closes a new client to let go of it).
      await inProcess.close?.();
    },
  };
}

async function inject<T>(app: FastifyInstance, request: ApiRequest, token: string | undefined): Promise<T> {
  const { headers, query: params } = ownershipHeaders(request);
  if (token) headers.authorization = `Bearer ${token}`;
  if (request.ifMatch !== undefined) headers["if-match"] = String(request.ifMatch);
  if (request.idempotencyKey !== undefined) headers["idempotency-key"] = request.idempotencyKey;
  const query = params ? "?" + new URLSearchParams(params).toString() : "";
  const response = await app.inject({
    method: request.method,
    url: request.path + query,
    headers,
    ...(request.body !== undefined ? { payload: request.body as object } : {}),
  });
  if (response.statusCode < 400)
    return successOf<T>(response.statusCode, response.statusCode === 204 ? undefined : response.json());
  const body = response.json() as Problem;
  throw typeof body?.code === "string"
    ? fromProblem(body)
    : new TenancyError("internal", `${request.method} ${request.path} answered ${response.statusCode}`);
}
