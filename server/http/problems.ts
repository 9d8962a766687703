// Every error answered as application/problem+json with a stable code: the service's own errors,
// the database's unavailability (503 with Retry-After), Fastify's 4xx, and real faults (500).
import type { FastifyError, FastifyInstance, FastifyReply } from "fastify";
import { TenancyError, toProblem, type ErrorCode } from "../../model";
import { isDatabaseUnavailable } from "../store/unavailable";

const problemType = "application/problem+json";

export function sendProblem(reply: FastifyReply, error: TenancyError) {
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

/** Answers every error of `app`, and every unknown route, with a problem. */
export function registerProblems(app: FastifyInstance) {
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
}
