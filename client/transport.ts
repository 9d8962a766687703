// The narrow seam between the API client and the control plane: one request in, one JSON answer or
// a TenancyError out. HTTP and the embedded store both implement it.
export interface ApiRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  /** The version the caller read, sent as If-Match. */
  ifMatch?: number;
  idempotencyKey?: string;
  query?: Record<string, string>;
}

export interface Transport {
  /** Resolves with the parsed body (undefined for 204); rejects with a TenancyError. */
  send<T>(request: ApiRequest): Promise<T>;
  close(): Promise<void>;
}

export function pathOf(...segments: string[]): string {
  return "/v1/" + segments.map((s) => encodeURIComponent(s)).join("/");
}
