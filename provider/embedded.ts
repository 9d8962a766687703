// The embedded transport: the control plane's own HTTP app, in process, over PGlite in a local
// folder, driven through inject() so requests take exactly the path they take over the network.
// Without a token it acts as the folder's owner (an org admin): whoever can open the folder can
// read the database anyway. One store per folder per process.
import type { FastifyInstance } from "fastify";
import { TenancyError, fromProblem, type Problem } from "../model";
import { ownershipHeaders, successOf, type ApiRequest, type Transport } from "../client";

const opened = new Map<string, Promise<{ app: FastifyInstance; close(): Promise<void> }>>();

async function open(dataDir: string) {
  // Loaded on first use: a program that talks HTTP never loads the server or PGlite.
  const { buildApp } = require("../server/http/app") as typeof import("../server/http/app");
  const { openStore } = require("../server/store/open") as typeof import("../server/store/open");
  const { createService, openKeys } = require("../server/service") as typeof import("../server/service");
  const { loadKeyring } = require("../server/keys") as typeof import("../server/keys");
  const keyring = loadKeyring(process.env, dataDir);
  const store = await openStore({ kind: "pglite", dataDir });
  let app: FastifyInstance;
  try {
    const service = createService({ db: store.db, keyring: await openKeys(store.db, keyring) });
    app = await buildApp({
      service,
      // Its requests come from this process only: nobody to limit.
      rateLimit: false,
      localActor: { tokenId: "local", name: "local", subject: "service:local", teams: [], orgAdmin: true },
    });
  } catch (err) {
    await store.close();
    throw err;
  }
  const close = async () => {
    await app.close();
    await store.close();
  };
  return { app, close };
}

export function createEmbeddedTransport(options: { dataDir: string; token?: string }): Transport {
  const get = () => {
    let entry = opened.get(options.dataDir);
    if (!entry) {
      entry = open(options.dataDir);
      entry.catch(() => opened.delete(options.dataDir));
      opened.set(options.dataDir, entry);
    }
    return entry;
  };
  return {
    async send<T>(request: ApiRequest): Promise<T> {
      const { app } = await get();
      const { headers, query: params } = ownershipHeaders(request);
      if (options.token) headers.authorization = `Bearer ${options.token}`;
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
    },
    async close() {
      const entry = opened.get(options.dataDir);
      opened.delete(options.dataDir);
      if (entry) await (await entry).close();
    },
  };
}
