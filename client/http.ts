// The HTTP transport: axios with keep-alive, timeouts, and retries with exponential backoff and
// jitter on connection errors, 429 and 503 (honouring Retry-After), 502 and 504, until a deadline,
// so a call spanning a restart of the control plane or its database completes. Creates carry an
// Idempotency-Key and updates an If-Match, so a retried request never applies twice.
import * as http from "node:http";
import * as https from "node:https";
import axios, { type AxiosError, type AxiosInstance } from "axios";
import { ApprovalPending, TenancyError, fromProblem, type Problem } from "../model";
import { ownershipHeaders, successOf, type ApiRequest, type Transport } from "./transport";

export interface HttpTransportOptions {
  endpoint: string;
  token?: string;
  timeoutMs?: number;
  /** How long one call keeps retrying what may pass (default 60 s; 0: never retry). */
  retryTimeoutMs?: number;
  /** Base delay of the backoff; attempt n waits up to base × 2^n (with jitter), at most 10 s. */
  backoffMs?: number;
  /** A Unix socket to connect to instead of the endpoint's host and port. */
  socketPath?: string;
}

const retryableStatus = new Set([429, 502, 503, 504]);
const retryableCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ECONNABORTED",
  "ENOTFOUND",
]);

function delayFor(attempt: number, baseMs: number, retryAfter: string | undefined): number {
  const seconds = retryAfter === undefined ? NaN : Number(retryAfter);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 60_000);
  const ceiling = Math.min(baseMs * 2 ** attempt, 10_000);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export function createHttpTransport(options: HttpTransportOptions): Transport {
  const client: AxiosInstance = axios.create({
    baseURL: options.endpoint.replace(/\/+$/, ""),
    timeout: options.timeoutMs ?? 30_000,
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    validateStatus: () => true,
    ...(options.socketPath ? { socketPath: options.socketPath } : {}),
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
  });
  const retryTimeoutMs = options.retryTimeoutMs ?? 60_000;
  const backoffMs = options.backoffMs ?? 200;

  return {
    async send<T>(request: ApiRequest): Promise<T> {
      const { headers, query } = ownershipHeaders(request);
      if (request.ifMatch !== undefined) headers["if-match"] = String(request.ifMatch);
      if (request.idempotencyKey !== undefined) headers["idempotency-key"] = request.idempotencyKey;
      if (request.body !== undefined) headers["content-type"] = "application/json";
      const deadline = Date.now() + retryTimeoutMs;
      for (let attempt = 0; ; attempt++) {
        let retryAfter: string | undefined;
        let failure: TenancyError;
        try {
          const response = await client.request({
            method: request.method,
            url: request.path,
            headers,
            ...(request.timeoutMs !== undefined ? { timeout: request.timeoutMs } : {}),
            ...(query ? { params: query } : {}),
            ...(request.body !== undefined ? { data: request.body } : {}),
          });
          if (response.status < 400) return successOf<T>(response.status, response.data);
          const body = response.data as Partial<Problem> | undefined;
          failure =
            body && typeof body === "object" && typeof body.code === "string"
              ? fromProblem(body as Problem)
              : new TenancyError("internal", `${request.method} ${request.path} answered ${response.status}`);
          if (!retryableStatus.has(response.status)) throw failure;
          retryAfter = response.headers["retry-after"] as string | undefined;
        } catch (err) {
          if (TenancyError.isInstance(err) || ApprovalPending.isInstance(err)) throw err;
          const code = (err as AxiosError).code ?? "";
          failure = new TenancyError(
            "unavailable",
            `cannot reach the control plane at ${options.socketPath ?? options.endpoint}: ${(err as Error).message}`,
            {
              cause: err,
            },
          );
          if (!retryableCodes.has(code)) throw failure;
        }
        const delay = delayFor(attempt, backoffMs, retryAfter);
        if (Date.now() + delay > deadline) throw failure;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    },
    async close() {
      client.defaults.httpAgent?.destroy();
      client.defaults.httpsAgent?.destroy();
    },
  };
}
