// The client a provider, the CLI or a user's script gets for an endpoint: HTTP for a control plane,
// the embedded store (the server in process) for a `file://` folder.
import * as path from "node:path";
import { createApiClient, createHttpTransport, type TenancyClient, type Transport } from "../client";
import { createEmbeddedTransport } from "./embedded";

export interface ClientOptions {
  /** `http(s)://…` for a control plane, `file://<dir>` for the embedded store. Default:
   * TENANCY_ENDPOINT, else `file://./.tenancy`. */
  endpoint?: string;
  /** Bearer token. Default: TENANCY_TOKEN. Optional for the embedded store. */
  token?: string;
  /** What relative `file://` paths are resolved against (default: the working directory). */
  baseDir?: string;
  timeoutMs?: number;
  /** How long a call keeps retrying connection errors and `unavailable` (default 60 s). */
  retryTimeoutMs?: number;
}

export const defaultEndpoint = "file://./.tenancy";

/** The transport an endpoint names. */
export function transportFor(options: ClientOptions = {}): Transport {
  const endpoint = options.endpoint ?? process.env.TENANCY_ENDPOINT ?? defaultEndpoint;
  const token = options.token ?? process.env.TENANCY_TOKEN;
  if (/^https?:\/\//.test(endpoint)) {
    return createHttpTransport({
      endpoint,
      ...(token ? { token } : {}),
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.retryTimeoutMs !== undefined ? { retryTimeoutMs: options.retryTimeoutMs } : {}),
    });
  }
  if (endpoint.startsWith("file://")) {
    const dataDir = path.resolve(options.baseDir ?? process.cwd(), endpoint.slice("file://".length));
    return createEmbeddedTransport({ dataDir, ...(token ? { token } : {}) });
  }
  throw new Error(`tenancy endpoint '${endpoint}' must start with http://, https:// or file://`);
}

/**
 * A typed client of the control plane at `options.endpoint`.
 *
 * @example
 * const api = tenancy.createClient({ endpoint: "http://127.0.0.1:7420", token: process.env.TENANCY_TOKEN });
 * const config = await api.effective.get("web", "production");
 */
export function createClient(options: ClientOptions = {}): TenancyClient {
  return createApiClient(transportFor(options));
}
