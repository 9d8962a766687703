// The console's one way to the API: same origin, the signed-in token as a bearer token. The token
// travels in the Authorization header only, never a cookie (credentials: "omit"), so another site
// cannot make the browser send a write on its user's behalf.
import { session } from "./session";

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
  }
}

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const token = session.token();
  if (token === undefined) throw new ApiError("not signed in", 401, "unauthorized");
  const response = await fetch(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      accept: "application/json",
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    cache: "no-store",
    credentials: "omit",
  });
  if (!response.ok) {
    const problem = (await response.json().catch(() => ({}))) as { detail?: string; code?: string };
    throw new ApiError(problem.detail ?? response.statusText, response.status, problem.code ?? "internal");
  }
  return (await response.json()) as T;
}

export function get<T>(path: string, query: Record<string, string | undefined> = {}): Promise<T> {
  const search = new URLSearchParams(
    Object.entries(query).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== "",
    ),
  ).toString();
  return call<T>("GET", search ? `${path}?${search}` : path);
}

export function post<T>(path: string, body: unknown): Promise<T> {
  return call<T>("POST", path, body);
}

/** A path of the API, its segments encoded. */
export function apiPath(...segments: string[]): string {
  return "/v1/" + segments.map(encodeURIComponent).join("/");
}

/** A page of the console, its segments encoded. */
export function pagePath(...segments: string[]): string {
  return "/ui/" + segments.map(encodeURIComponent).join("/");
}
