// What a route of the API declares, once: Fastify registers it and /openapi.json describes it.
import type { z } from "zod";
import type { Actor, AuthenticatedRead, Service } from "../service";

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
  handle(service: Service, request: RouteRequest<ParamNames<Url>>): Promise<unknown>;
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
