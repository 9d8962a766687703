// The HTTP face of the control plane. buildApp() assembles it from a service without listening,
// so tests drive it through inject() or an ephemeral port.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import { TenancyError, unstorableText } from "../../model";
import {
  withWriteContext,
  type Actor,
  type AuthenticatedRead,
  type Replayer,
  type Service,
  type WriteContext,
} from "../service";
import { changeOf } from "./guards";
import type { RouteRequest, RouteSpec } from "./route";
import type { AuthFailureLimit } from "./auth-failures";
import { registerAuthentication, registerRateLimit } from "./authentication";
import { registerJsonBody } from "./body";
import { registerProblems, sendProblem } from "./problems";
import { header, parseIfMatch, writeContextOf } from "./request-context";
import { openApiDocument } from "./openapi";
import { registerConsole } from "./console-ui";
import { registerScim } from "./scim";
import { routes } from "./routes";

export interface AppOptions {
  service: Service;
  /** A pino logger; none means no logging. */
  logger?: FastifyBaseLogger;
  /** Largest request body accepted, in bytes (default 256 KiB). */
  bodyLimit?: number;
  /** Requests per token (or per address, unauthenticated) per window (default 6000 per minute);
   * false for none (the embedded transport, whose requests come from its own process). */
  rateLimit?: { max: number; timeWindowMs: number } | false;
  /** Failed authentications per address per window before the address is refused unheard. */
  authFailureLimit?: AuthFailureLimit;
  /** A request, body included, must arrive within this (default 30 s), else 408. */
  requestTimeoutMs?: number;
  /** Addresses (or CIDR ranges) of reverse proxies whose X-Forwarded-For names the client: the
   * address that rate limits and failure limits count. From any other peer the header is ignored,
   * so a client cannot pose as another address. Default none. */
  trustedProxies?: string[];
  version?: string;
  /**
   * The actor of requests that carry no token. Only for the embedded transport, whose requests
   * never leave the process that opened the data folder; never set on a listening server.
   */
  localActor?: Actor;
}

declare module "fastify" {
  interface FastifyRequest {
    actor?: Actor;
    /** The bearer token's hash, once taken (tokenHashOf). */
    tokenHash?: string;
  }
  interface FastifyContextConfig {
    authenticatedRead?: AuthenticatedRead;
  }
}

function noRouteSchemas(): never {
  throw new Error("routes are validated with zod: a Fastify route schema has no compiler here");
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const app: FastifyInstance = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Requests are parsed with zod and answers serialized with JSON.stringify: no route has a
    // Fastify schema, so its compilers (ajv, fast-json-stringify) are never loaded, which takes a
    // third of an embedded store's start.
    schemaController: {
      compilersFactory: { buildValidator: noRouteSchemas, buildSerializer: noRouteSchemas },
    },
    return503OnClosing: true,
    trustProxy: options.trustedProxies && options.trustedProxies.length > 0 ? options.trustedProxies : false,
    // A URL the router cannot decode (invalid UTF-8 in a percent escape) or a parameter past the
    // length limit is answered with a problem like every other error.
    frameworkErrors: (error, _request, reply) =>
      sendProblem(
        reply,
        new TenancyError("validation_failed", `the URL cannot be used: ${error.message}`, {
          errors: [{ path: "(url)", message: error.message }],
        }),
      ),
    // Node answers 408 to a request whose headers take longer than 10 s or whose whole request
    // (body included) takes longer than requestTimeout; a slow client holds its own socket only.
    requestTimeout,
    http: {
      headersTimeout: Math.min(10_000, requestTimeout),
      connectionsCheckingInterval: Math.min(1_000, requestTimeout),
    },
  });
  const { service } = options;
  const limits = options.rateLimit ?? { max: 6000, timeWindowMs: 60_000 };

  registerProblems(app);
  if (limits) await registerRateLimit(app, limits);
  registerJsonBody(app);

  // Liveness: the process answers. Readiness: the database answers too.
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async () => {
    await service.ready();
    return { status: "ready" };
  });
  // Built when first asked for: most processes (the embedded store above all) never serve it.
  let document: ReturnType<typeof openApiDocument> | undefined;
  app.get("/openapi.json", async () => (document ??= openApiDocument(routes, options.version ?? "0.0.0")));
  registerConsole(app);
  registerAuthentication(app, service, options);
  await registerScim(app, service);

  // Handlers still running for clients that hung up: closing waits for them too, so the store is
  // not closed under a request (the HTTP server stops waiting once the connection is gone).
  const inFlight = new Set<Promise<unknown>>();
  app.addHook("onClose", async () => {
    await Promise.allSettled(inFlight);
  });

  const byOperation = new Map(routes.map((route) => [route.operationId, route]));

  /** A change request's write, run again as its author (see service/change-requests.ts). */
  const replayer: Replayer = (write, author) => {
    const route = byOperation.get(write.operationId);
    if (!route?.guard)
      throw new TenancyError("internal", `no guarded operation ${write.operationId} to apply`);
    const request: RouteRequest = {
      actor: author,
      params: write.params,
      query: write.query,
      body: write.body,
      expectedVersion: write.expectedVersion,
      idempotencyKey: undefined,
      replayer,
    };
    const { owner, claim, adopt } = write;
    return {
      async currentVersion() {
        const guard = await route.guard!(service, request);
        return (await guard?.read())?.version ?? null;
      },
      run: (approving) =>
        withWriteContext(
          {
            ...(owner ? { owner } : {}),
            ...(claim !== undefined ? { claim } : {}),
            adopt,
            dryRun: false,
            approving,
          },
          () => route.handle(service, request),
        ),
    };
  };

  /**
   * A write to a guarded environment by someone who is not among its approvers: checked in a dry
   * run (so only a write the caller may make waits), and when it would change something, stored as
   * a change request (or answered with the same author's pending request for the same write).
   */
  async function changeRequestFor(route: RouteSpec, request: RouteRequest, context: WriteContext) {
    if (!route.guard || context.approving) return undefined;
    const guard = await route.guard(service, request);
    if (!guard) return undefined;
    const approval = await service.changeRequests.approvalAsked(
      request.actor,
      guard.project,
      guard.environment,
    );
    if (!approval) return undefined;
    const before = await guard.read();
    const after = await withWriteContext({ ...context, dryRun: true }, () => route.handle(service, request));
    const diff = changeOf(before, route.status === 204 ? undefined : (after as object));
    if (diff.length === 0) return undefined;
    const { dryRun: _, ...query } = request.query;
    return service.changeRequests.open(
      request.actor,
      {
        project: guard.project,
        environment: guard.environment,
        target: guard.target,
        operation: `${route.method} ${route.url.replace(/:(\w+)/g, "{$1}")}`,
        write: {
          operationId: route.operationId,
          params: request.params,
          query,
          body: request.body,
          ...(request.expectedVersion !== undefined ? { expectedVersion: request.expectedVersion } : {}),
          ...(context.owner ? { owner: context.owner } : {}),
          ...(context.claim !== undefined ? { claim: context.claim } : {}),
          adopt: context.adopt,
        },
        baseVersion: before?.version ?? null,
        diff,
      },
      context.dryRun,
    );
  }

  for (const route of routes) {
    const respond = async (request: FastifyRequest, reply: FastifyReply) => {
      const unstorable = [
        ...unstorableText(request.params, "params"),
        ...unstorableText(request.query, "query"),
        ...unstorableText(request.body),
      ];
      if (unstorable.length > 0) {
        throw new TenancyError(
          "validation_failed",
          `refused: ${unstorable.map((e) => `${e.path} ${e.message}`).join("; ")}`,
          { errors: unstorable },
        );
      }
      const context = writeContextOf(request, route.method !== "GET");
      if (context.dryRun && route.operationId === "revealSecret") {
        throw new TenancyError("validation_failed", "a reveal has no dry run: it only reads", {
          errors: [{ path: "dryRun", message: "not accepted on reveal" }],
        });
      }
      const routeRequest: RouteRequest = {
        actor: request.actor!, // set by the onRequest hook for every /v1/ route
        params: request.params as Record<string, string>,
        query: (request.query ?? {}) as Record<string, unknown>,
        body: request.body,
        expectedVersion: parseIfMatch(request.headers["if-match"]),
        idempotencyKey: header(request, "idempotency-key"),
        replayer,
      };
      const waiting = await changeRequestFor(route, routeRequest, context);
      if (waiting) return reply.status(202).send(waiting);
      const result = await withWriteContext(context, () => route.handle(service, routeRequest));
      const status = route.status ?? 200;
      if (status === 204) return reply.status(204).send();
      if (result && typeof result === "object" && "version" in result) {
        reply.header("etag", `"${(result as { version: number }).version}"`);
      }
      return reply.status(status).send(result);
    };
    app.route({
      method: route.method,
      url: route.url,
      // A guarded write's authentication reads the environment's approval with the token: the
      // write still costs one statement of its own.
      config: {
        authenticatedRead: route.authenticatedRead ?? (route.guard ? ("approval" as const) : undefined),
      },
      handler: (request, reply) => {
        const work = respond(request, reply);
        inFlight.add(work);
        return work.finally(() => inFlight.delete(work));
      },
    });
  }
  return app;
}
