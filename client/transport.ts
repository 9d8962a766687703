// The narrow seam between the API client and the control plane: one request in, one JSON answer or
// a TenancyError out (or ApprovalPending, for a write that waits for approval). HTTP and the
// embedded store both implement it.
import { ApprovalPending, type ChangeRequest } from "../model";
export interface ApiRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  body?: unknown;
  /** The version the caller read, sent as If-Match. */
  ifMatch?: number;
  idempotencyKey?: string;
  query?: Record<string, string>;
  /** How long the answer may take, when it may take longer than the transport's usual wait (a held
   * request of the change feed). */
  timeoutMs?: number;
  /** Who writes: see {@link WriteOwnership}. */
  ownership?: WriteOwnership;
}

/** What a write says of the Pulumi resource sending it. */
export interface WriteOwnership {
  /** The URN of the resource that manages the object (sent as Tenancy-Owner). */
  owner?: string;
  /** The URN of the environment resource the object goes with (Tenancy-Deleted-With). */
  deletedWith?: string;
  /** The claim that resource holds on the object (Tenancy-Claim): a write with a claim the object
   * no longer holds is refused, naming its manager. */
  claim?: string;
  /** Take the object over (Tenancy-Adopt): the claim moves to this one. */
  adopt?: boolean;
  /** Run every rule and store nothing (`?dryRun=true`). */
  dryRun?: boolean;
}

/** The headers and query parameters a request's ownership becomes. */
export function ownershipHeaders(request: ApiRequest): {
  headers: Record<string, string>;
  query: Record<string, string> | undefined;
} {
  const { ownership = {} } = request;
  const headers: Record<string, string> = {};
  if (ownership.owner !== undefined) headers["tenancy-owner"] = ownership.owner;
  if (ownership.deletedWith !== undefined) headers["tenancy-deleted-with"] = ownership.deletedWith;
  if (ownership.claim !== undefined) headers["tenancy-claim"] = ownership.claim;
  if (ownership.adopt) headers["tenancy-adopt"] = "true";
  const query = ownership.dryRun ? { ...request.query, dryRun: "true" } : request.query;
  return { headers, query };
}

/** A write's answer below 400: its body, or (202) the change request it waits in, thrown: the write
 * was not applied. */
export function successOf<T>(status: number, body: unknown): T {
  if (status === 202) throw new ApprovalPending(body as ChangeRequest);
  return (status === 204 ? undefined : body) as T;
}

export interface Transport {
  /** Resolves with the parsed body (undefined for 204); rejects with a TenancyError. */
  send<T>(request: ApiRequest): Promise<T>;
  close(): Promise<void>;
}

export function pathOf(...segments: string[]): string {
  return "/v1/" + segments.map((s) => encodeURIComponent(s)).join("/");
}
