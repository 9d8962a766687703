// The HTTP face of the control plane. buildApp() assembles it from a service without listening,
// so tests drive it through inject() or an ephemeral port.
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
} from "fastify";
import rateLimit from "@fastify/rate-limit";
import { TenancyError, toProblem, unstorableText, type ErrorCode } from "../../model";
import { isDatabaseUnavailable } from "../store/unavailable";
import {
  hashToken,
  withWriteContext,
  type Actor,
  type AuthenticatedRead,
  type Service,
  type WriteContext,
} from "../service";
import { authFailureTracker, defaultAuthFailureLimit, type AuthFailureLimit } from "./auth-failures";
import { openApiDocument } from "./openapi";
import { registerConsole } from "./console-ui";
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

const problemType = "application/problem+json";

function sendProblem(reply: FastifyReply, error: TenancyError) {
  if (error.options.retryAfterSeconds !== undefined) {
    reply.header("retry-after", String(error.options.retryAfterSeconds));
  }
  return reply.status(error.status).type(problemType).send(toProblem(error));
}

const codeForStatus: Record<number, ErrorCode> = {
  400: "validation_failed",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "not_found",
  406: "validation_failed",
  409: "conflict",
  413: "payload_too_large",
  415: "validation_failed",
  429: "rate_limited",
};

/** If-Match carries the version the caller read: `3`, `"3"` or `W/"3"`. */
function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? header[0] : header)!
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
  if (!/^[1-9]\d{0,9}$/.test(text)) {
    throw new TenancyError(
      "validation_failed",
      `If-Match must be the object's version (a positive integer), not '${text}'`,
      {
        errors: [{ path: "If-Match", message: "a positive integer version" }],
      },
    );
  }
  return Number(text);
}

const ownerPattern = /^urn:pulumi:([^:]+)::[^:]+::.+::.+$/;

function isUrn(value: string): boolean {
  return value.length <= 2000 && ownerPattern.test(value);
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Owner, claim, adoption and dry run of a write, from its headers and `?dryRun=true`. */
function writeContextOf(request: FastifyRequest, isWrite: boolean): WriteContext {
  const owner = header(request, "tenancy-owner");
  const deletedWith = header(request, "tenancy-deleted-with");
  const claim = header(request, "tenancy-claim");
  const adopt = header(request, "tenancy-adopt");
  const dryRun = (request.query as Record<string, unknown> | undefined)?.dryRun;
  const errors: { path: string; message: string }[] = [];
  const stack = owner === undefined ? undefined : ownerPattern.exec(owner)?.[1];
  if (owner !== undefined && (stack === undefined || !isUrn(owner))) {
    errors.push({
      path: "Tenancy-Owner",
      message: "a Pulumi URN: urn:pulumi:<stack>::<project>::<type>::<name>",
    });
  }
  if (deletedWith !== undefined && (owner === undefined || !isUrn(deletedWith))) {
    errors.push({
      path: "Tenancy-Deleted-With",
      message: "the URN of an environment resource, sent with Tenancy-Owner",
    });
  }
  if (claim !== undefined && !/^[\x21-\x7e]{1,200}$/.test(claim)) {
    errors.push({ path: "Tenancy-Claim", message: "1-200 visible ASCII characters" });
  }
  if (adopt !== undefined && adopt !== "true") errors.push({ path: "Tenancy-Adopt", message: "only true" });
  if (adopt === "true" && (owner === undefined || claim === undefined)) {
    errors.push({ path: "Tenancy-Adopt", message: "adopting needs Tenancy-Owner and Tenancy-Claim" });
  }
  if (dryRun !== undefined && dryRun !== "true" && dryRun !== "false") {
    errors.push({ path: "dryRun", message: "true or false" });
  }
  if (errors.length > 0) {
    throw new TenancyError("validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
      errors,
    });
  }
  return {
    ...(owner !== undefined && stack !== undefined
      ? { owner: { stack, urn: owner, ...(deletedWith !== undefined ? { deletedWith } : {}) } }
      : {}),
    ...(claim !== undefined ? { claim } : {}),
    adopt: adopt === "true",
    dryRun: isWrite && dryRun === "true",
  };
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** The hash of the request's bearer token, taken once for the rate limiter and the lookup both. */
function tokenHashOf(request: FastifyRequest): string | undefined {
  if (request.tokenHash === undefined) {
    const token = bearer(request);
    if (token !== undefined) request.tokenHash = hashToken(token);
  }
  return request.tokenHash;
}

/** A listening server's rate limit: per token (keyed by its hash, so the token itself is never a map
 * key in memory dumps or logs), or per address for requests without one. */
async function registerRateLimit(app: FastifyInstance, limits: { max: number; timeWindowMs: number }) {
  await app.register(rateLimit, {
    global: true,
    max: limits.max,
    timeWindow: limits.timeWindowMs,
    keyGenerator: (request) => tokenHashOf(request) ?? `ip:${request.ip}`,
    allowList: (request) => request.url === "/healthz" || request.url === "/readyz",
    errorResponseBuilder: (_request, context) =>
      new TenancyError(
        "rate_limited",
        `rate limit of ${context.max} requests per ${context.after} reached; retry after ${context.after}`,
        {
          retryAfterSeconds: Math.ceil(context.ttl / 1000),
        },
      ),
  });
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const app: FastifyInstance = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: false }),
    bodyLimit: options.bodyLimit ?? 256 * 1024,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    return503OnClosing: true,
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

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (TenancyError.isInstance(error)) return sendProblem(reply, error);
    if (isDatabaseUnavailable(error)) {
      request.log.warn({ err: { message: error.message } }, "database unavailable");
      return sendProblem(
        reply,
        new TenancyError("unavailable", "the control plane's database cannot be reached; retry shortly", {
          retryAfterSeconds: 1,
        }),
      );
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      const code = codeForStatus[status] ?? "validation_failed";
      return sendProblem(reply, new TenancyError(code, error.message));
    }
    request.log.error({ err: { message: error.message, stack: error.stack } }, "request failed");
    return sendProblem(
      reply,
      new TenancyError("internal", `internal error (request ${request.id}); see the server log`),
    );
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(
      reply,
      new TenancyError("not_found", `no route ${request.method} ${request.url.split("?")[0]}`),
    ),
  );

  if (limits) await registerRateLimit(app, limits);

  // An empty body is no body (clients often send Content-Type on every request); anything else must
  // be valid UTF-8 (not silently repaired) and goes through Fastify's own parser, which refuses
  // prototype-poisoning keys.
  const parseJson = app.getDefaultJsonParser("error", "error");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    let text: string;
    try {
      text = utf8.decode(body as Buffer);
    } catch {
      return done(
        new TenancyError("validation_failed", "the body is not valid UTF-8", {
          errors: [{ path: "(body)", message: "not valid UTF-8" }],
        }),
        undefined,
      );
    }
    if (text.trim() === "") return done(null, undefined);
    parseJson(request, text, done);
  });
  // Bodiless requests may carry any Content-Type (some clients add one to every POST); a body in
  // anything but JSON is refused.
  app.addContentTypeParser("*", { parseAs: "string" }, (request, body, done) => {
    if (String(body).trim() === "") return done(null, undefined);
    done(
      new TenancyError(
        "validation_failed",
        `send JSON (Content-Type: application/json), not ${request.headers["content-type"]}`,
        {
          errors: [{ path: "Content-Type", message: "must be application/json" }],
        },
      ),
      undefined,
    );
  });

  // Liveness: the process answers. Readiness: the database answers too.
  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async () => {
    await service.ready();
    return { status: "ready" };
  });
  const document = openApiDocument(routes, options.version ?? "0.0.0");
  app.get("/openapi.json", async () => document);
  registerConsole(app);

  // Authentication runs when the request's headers are in, before its body is read or parsed, after
  // the rate limiter; an address that keeps failing is refused before any token lookup.
  const failures = authFailureTracker(options.authFailureLimit ?? defaultAuthFailureLimit);
  app.addHook("onRequest", async (request) => {
    if (!request.url.startsWith("/v1/")) return;
    const hash = tokenHashOf(request);
    if (hash === undefined && options.localActor) {
      request.actor = options.localActor;
      return;
    }
    const wait = failures.blockedFor(request.ip);
    if (wait !== undefined) {
      throw new TenancyError("rate_limited", `too many failed authentications from ${request.ip}`, {
        retryAfterSeconds: wait,
      });
    }
    // The project the route concerns: its bindings are read with the token. One that cannot be
    // stored is left to the handler, which refuses it.
    const params = request.params as Record<string, unknown> | undefined;
    const storable = (value: unknown): value is string =>
      typeof value === "string" && unstorableText(value).length === 0;
    const project = storable(params?.project) ? params.project : undefined;
    const read = request.routeOptions.config.authenticatedRead;
    const environment = params?.environment;
    try {
      request.actor = await service.tokens.authenticate(
        hash,
        project,
        read && storable(environment) ? { read, environment } : undefined,
      );
    } catch (err) {
      if (TenancyError.isInstance(err) && err.code === "unauthorized") failures.recordFailure(request.ip);
      throw err;
    }
  });

  // Handlers still running for clients that hung up: closing waits for them too, so the store is
  // not closed under a request (the HTTP server stops waiting once the connection is gone).
  const inFlight = new Set<Promise<unknown>>();
  app.addHook("onClose", async () => {
    await Promise.allSettled(inFlight);
  });

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
      const result = await withWriteContext(context, () =>
        route.handle(service, {
          actor: request.actor!, // set by the onRequest hook for every /v1/ route
          params: request.params as Record<string, string>,
          query: (request.query ?? {}) as Record<string, unknown>,
          body: request.body,
          expectedVersion: parseIfMatch(request.headers["if-match"]),
          idempotencyKey: header(request, "idempotency-key"),
        }),
      );
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
      config: route.authenticatedRead ? { authenticatedRead: route.authenticatedRead } : {},
      handler: (request, reply) => {
        const work = respond(request, reply);
        inFlight.add(work);
        return work.finally(() => inFlight.delete(work));
      },
    });
  }
  return app;
}
