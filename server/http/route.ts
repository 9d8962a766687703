// What a route of the API declares, once: Fastify registers it and /openapi.json describes it.
import type { z } from "zod";
import type { Actor, AuthenticatedRead, Replayer, Service } from "../service";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The names of the `:params` of a route's URL. */
export type ParamNames<Url extends string> = Url extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamNames<`/${Rest}`>
  : Url extends `${string}:${infer Name}`
    ? Name
    : never;

/** What a handler gets from the request, already authenticated. */
export interface RouteRequest<Param extends string = string> {
  actor: Actor;
  params: Record<Param, string>;
  query: Record<string, unknown>;
  /** Parsed JSON, validated by the service (which is also the embedded transport's boundary). */
  body: unknown;
  /** From If-Match; undefined when absent. */
  expectedVersion: number | undefined;
  idempotencyKey: string | undefined;
  /** Runs a stored write again: what applies an approved change request. */
  replayer: Replayer;
}

export interface RouteSpec<Url extends string = string> {
  method: Method;
  url: Url;
  /** Stable name of the operation, for generated clients. */
  operationId: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  /** The success body; every route that answers with a body declares it. */
  response?: z.ZodType;
  /** 201 for creates, 204 for deletes, 200 otherwise. */
  status?: 200 | 201 | 204;
  /** Error statuses the route answers beyond those every route of its method does. */
  errorStatuses?: number[];
  /** A read of the route's environment that the request's authentication makes in its own
   * statement: for the reads a runtime sends before every workload. */
  authenticatedRead?: AuthenticatedRead;
  /** For a write under an environment, which environment it touches and how to read its target:
   * a guarded environment's writes by others than its approvers wait as change requests. */
  guard?: (service: Service, request: RouteRequest<ParamNames<Url>>) => Promise<Guard | undefined>;
  handle(service: Service, request: RouteRequest<ParamNames<Url>>): Promise<unknown>;
}

/** The environment a write touches, the object it writes, and that object as it is now. */
export interface Guard {
  project: string;
  environment: string;
  target: { kind: string; id: string };
  /** The object now (as the route answers it); undefined when it does not exist. */
  read(): Promise<({ version: number } & object) | undefined>;
}

/** A read that answers undefined for an object that does not exist. */
export async function orMissing<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if ((err as { code?: unknown }).code === "not_found") return undefined;
    throw err;
  }
}

/** Declares a route whose handler sees exactly the params its URL names. */
export function route<const Url extends string>(spec: RouteSpec<Url>): RouteSpec {
  // The router fills params from the URL's own `:names`, so the narrower type holds at run time.
  return spec as unknown as RouteSpec;
}

export const envUrl = "/v1/projects/:project/environments/:environment";

/** The defaults scope of an environment route. */
export const envScope = (p: Record<"project" | "environment", string>) => ({
  kind: "environment" as const,
  project: p.project,
  environment: p.environment,
});
