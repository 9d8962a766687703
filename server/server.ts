// A running control plane: store, service and HTTP app, started and stopped together.
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { buildFolderApp, listenOnFolder } from "./folder";
import { buildApp } from "./http/app";
import type { AuthFailureLimit } from "./http/auth-failures";
import { loadKeyring } from "./keys";
import { createService, openKeys, type Clock, type Service } from "./service";
import { openStore, type Store, type StoreOptions } from "./store/open";

export interface ServerOptions {
  store: StoreOptions;
  host?: string;
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** Where the secrets key file lives when TENANCY_SECRET_KEY is unset (default: the PGlite folder). */
  keyDir?: string;
  logLevel?: string;
  /** Where log lines go (default: standard error). */
  logDestination?: pino.DestinationStream;
  rateLimit?: { max: number; timeWindowMs: number };
  /** Failed authentications per client address per window before it is refused unheard. */
  authFailureLimit?: AuthFailureLimit;
  /** A request, body included, must arrive within this, else 408 (default 30 s). */
  requestTimeoutMs?: number;
  /** Reverse proxies whose X-Forwarded-For is believed (AppOptions.trustedProxies). */
  trustedProxies?: string[];
  /** The longest access an access request may ask for, e.g. `8h` (the default). */
  maxAccess?: string;
  /** The service's clock (default: the system's); tests set it to step through expiries. */
  clock?: Clock;
}

export interface RunningServer {
  url: string;
  service: Service;
  store: Store;
  app: FastifyInstance;
  /** The bootstrap admin token when this start created it from nothing. */
  bootstrapToken: string | undefined;
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const keyring = loadKeyring(
    env,
    options.keyDir ?? (options.store.kind === "pglite" ? options.store.dataDir : undefined),
  );
  const store = await openStore(options.store);
  try {
    const service = createService({
      db: store.db,
      keyring: await openKeys(store.db, keyring),
      ...(options.maxAccess !== undefined ? { maxAccess: options.maxAccess } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
    const given = env.TENANCY_BOOTSTRAP_TOKEN;
    const created = await service.tokens.bootstrap(given);
    const logger = pino(
      {
        level: options.logLevel ?? env.TENANCY_LOG_LEVEL ?? "info",
        // Requests are logged without bodies; these headers carry tokens.
        redact: ["req.headers.authorization", "req.headers.cookie"],
      },
      options.logDestination ?? pino.destination(2),
    );
    const app = await buildApp({
      service,
      logger,
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      ...(options.authFailureLimit ? { authFailureLimit: options.authFailureLimit } : {}),
      ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    });
    const address = await app.listen({ host: options.host ?? "127.0.0.1", port: options.port ?? 7420 });
    // An embedded store's other users (the CLI, a `pulumi up`) go through this server meanwhile.
    const folderApp =
      options.store.kind === "pglite"
        ? await onFolderSocket(service, logger, options.store.dataDir)
        : undefined;
    return {
      url: address,
      service,
      store,
      app,
      bootstrapToken: given === undefined ? created : undefined,
      async close() {
        try {
          await folderApp?.close();
          await app.close();
        } finally {
          await store.close();
        }
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}

/** The folder's socket, for the folder owner's other processes. A folder that cannot have one (a
 * file system without sockets, a path too long) is served over HTTP only, and its lock refuses them. */
async function onFolderSocket(
  service: Service,
  logger: pino.Logger,
  dataDir: string,
): Promise<FastifyInstance | undefined> {
  let app: FastifyInstance | undefined;
  try {
    app = await buildFolderApp(service, logger);
    if (await listenOnFolder(app, dataDir)) return app;
    logger.warn(
      { dataDir },
      "the data folder's path is too long for its socket: other processes cannot share it",
    );
  } catch (err) {
    logger.warn({ dataDir, err }, "the data folder cannot have a socket: other processes cannot share it");
  }
  await app?.close();
  return undefined;
}
