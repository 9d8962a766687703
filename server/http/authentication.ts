// Who a request speaks for: its bearer token, looked up when its headers are in, before its body is
// read; the rate limit per token (or per address); and the addresses that keep failing, refused
// before any lookup.
import rateLimit from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { TenancyError, unstorableText } from "../../model";
import { hashToken, type Actor, type Service } from "../service";
import { authFailureTracker, defaultAuthFailureLimit, type AuthFailureLimit } from "./auth-failures";

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}

/** The hash of the request's bearer token, taken once for the rate limiter and the lookup both. */
export function tokenHashOf(request: FastifyRequest): string | undefined {
  if (request.tokenHash === undefined) {
    const token = bearer(request);
    if (token !== undefined) request.tokenHash = hashToken(token);
  }
  return request.tokenHash;
}

/** A listening server's rate limit: per token (keyed by its hash, so the token itself is never a map
 * key in memory dumps or logs), or per address for requests without one. */
export async function registerRateLimit(app: FastifyInstance, limits: { max: number; timeWindowMs: number }) {
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

/** Authenticates every /v1/ request of `app` with `service`. */
export function registerAuthentication(
  app: FastifyInstance,
  service: Service,
  options: { authFailureLimit?: AuthFailureLimit; localActor?: Actor },
) {
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
      request.actor = await service.authenticate(
        hash,
        project,
        read && storable(environment) ? { read, environment } : undefined,
      );
    } catch (err) {
      if (TenancyError.isInstance(err) && err.code === "unauthorized") failures.recordFailure(request.ip);
      throw err;
    }
    if (request.actor.scim) {
      throw new TenancyError(
        "forbidden",
        `token ${request.actor.tokenId} is a directory token: it may use /scim/v2 only`,
      );
    }
  });
}
