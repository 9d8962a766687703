// An embedded store's folder. PGlite lets one process hold a folder. A process that holds it for
// longer than one command (`tenancy serve`, or a store kept open between commands) answers the
// folder's other users on a Unix socket inside it, so they go through it instead of being refused
// by its lock. The socket is the folder owner's alone (mode 0600 in a folder of mode 0700): whoever
// can reach it could open the folder itself, so its requests without a token act as the folder's
// owner, as in-process requests do.
import * as fs from "node:fs";
import type { FastifyBaseLogger, FastifyInstance } from "fastify";
import { folderSocketPath } from "./folder-socket";
import { buildApp } from "./http/app";
import { loadKeyring } from "./keys";
import { createService, openKeys, type Actor, type Service } from "./service";
import { openStore } from "./store/open";

/** The actor of requests without a token that reach the folder from its owner's processes. */
const folderOwner: Actor = {
  tokenId: "local",
  name: "local",
  subject: "service:local",
  teams: [],
  orgAdmin: true,
};

/** The HTTP app the folder's owner reaches, in process or through the folder's socket. */
export function buildFolderApp(service: Service, logger?: FastifyBaseLogger): Promise<FastifyInstance> {
  return buildApp({
    service,
    ...(logger ? { logger } : {}),
    // Its requests come from the folder owner's own processes: nobody to limit.
    rateLimit: false,
    localActor: folderOwner,
  });
}

export interface OpenFolder {
  app: FastifyInstance;
  close(): Promise<void>;
}

/** Opens the store in `dataDir` in this process and builds the folder owner's app over it. */
export async function openFolder(dataDir: string): Promise<OpenFolder> {
  const keyring = loadKeyring(process.env, dataDir);
  const store = await openStore({ kind: "pglite", dataDir });
  let app: FastifyInstance;
  try {
    const service = createService({ db: store.db, keyring: await openKeys(store.db, keyring) });
    app = await buildFolderApp(service);
  } catch (err) {
    await store.close();
    throw err;
  }
  return {
    app,
    async close() {
      try {
        await app.close();
      } finally {
        await store.close();
      }
    },
  };
}

/**
 * Makes `app` answer on the folder's socket; a no-op when the folder's path is too long for one.
 * Only the holder of the folder's lock may call it: a socket file already there was left by a
 * holder that died.
 */
export async function listenOnFolder(app: FastifyInstance, dataDir: string): Promise<string | undefined> {
  const socketPath = folderSocketPath(dataDir);
  if (!socketPath) return undefined;
  fs.rmSync(socketPath, { force: true });
  await app.listen({ path: socketPath });
  fs.chmodSync(socketPath, 0o600);
  return socketPath;
}
