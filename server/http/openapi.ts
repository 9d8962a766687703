// /openapi.json, generated from the same route list and zod schemas the server uses.
import { z } from "zod";
import { changeRequestSchema, errorCodes, kindRegistry, type ErrorCode } from "../../model";

const codes = Object.keys(errorCodes) as ErrorCode[];
import type { RouteSpec } from "./route";

function jsonSchema(schema: z.ZodType, io: "input" | "output") {
  return z.toJSONSchema(schema, { io, unrepresentable: "any" });
}

const problemSchema = {
  type: "object",
  required: ["type", "title", "status", "detail", "code"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string", enum: codes },
    errors: {
      type: "array",
      items: {
        type: "object",
        required: ["path", "message"],
        properties: { path: { type: "string" }, message: { type: "string" } },
      },
    },
    revision: { type: "integer", description: "With gone: the change feed's current revision." },
  },
};

/** One shared response per status, naming the codes a caller can get with it. */
function problemResponses() {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) {
    const status = errorCodes[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, codes]) => [
      `Problem${status}`,
      {
        description: `An error (application/problem+json) with code ${codes.join(" or ")}`,
        content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
      },
    ]),
  );
}

/** The errors an operation can answer: every operation can be refused for its token, its rate,
 * a missing object or an unavailable database; writes also for conflicts, versions and bodies. */
function errorStatuses(route: RouteSpec): number[] {
  const statuses = [400, 401, 403, 404, 429, 500, 503];
  if (route.method !== "GET") statuses.push(409);
  if (route.method === "PATCH" || route.method === "PUT" || route.method === "DELETE") statuses.push(412);
  if (route.body) statuses.push(413);
  statuses.push(...(route.errorStatuses ?? []));
  return statuses.sort((a, b) => a - b);
}

const header = (name: string, description: string, schema: object = { type: "string" }) => ({
  name,
  in: "header",
  required: false,
  description,
  schema,
});

/** What every write takes beside its body: versions, idempotency, ownership and dry runs. */
function writeParameters(route: RouteSpec) {
  const changes = route.method === "PATCH" || route.method === "PUT" || route.method === "DELETE";
  return [
    ...(changes ? [header("If-Match", "The version read; required to change or delete an object.")] : []),
    ...(route.method === "POST" ? [header("Idempotency-Key", "Replays the first result for 24 hours.")] : []),
    header("Tenancy-Owner", "URN of the Pulumi resource that manages the object."),
    header(
      "Tenancy-Deleted-With",
      "URN of the environment resource the object goes with: deleting that environment from its own resource deletes the object too.",
    ),
    header("Tenancy-Claim", "The claim the writer holds; refused (409, managedBy) when it has moved on."),
    header("Tenancy-Adopt", "true: take the object over, moving its claim to this writer.", {
      type: "string",
      enum: ["true"],
    }),
    {
      name: "dryRun",
      in: "query",
      required: false,
      description: "true: run every rule and store nothing.",
      schema: { type: "boolean" },
    },
  ];
}

/** Each tag's description: a kind's from the kinds registry, the others' here. */
const tagDescriptions: Record<string, string> = {
  ...Object.fromEntries(Object.values(kindRegistry).map((kind) => [kind.tag, kind.description])),
  effective: "The merged configuration a runtime asks for before it schedules work.",
  reservations: "Amounts held against an environment's quota while work runs.",
  audit: "Every change, who made it and when.",
  changes: "The change feed: what changed, in commit order, for followers such as tenancy sync.",
  console: "Aggregates the web console's pages read, one request per page.",
  approvals: "Change requests on guarded environments, and access requests for a role for a while.",
};

export function openApiDocument(routes: readonly RouteSpec[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z]+)/g, "{$1}");
    const parameters = [
      ...[...route.url.matchAll(/:([A-Za-z]+)/g)].map(([, name]) => ({
        name,
        in: "path",
        required: true,
        schema: { type: "string" },
      })),
      ...(route.method === "GET" ? [] : writeParameters(route)),
    ];
    const status = String(route.status ?? 200);
    const success =
      status === "204"
        ? { description: "Done" }
        : {
            description: status === "201" ? "Created" : "OK",
            ...(route.response
              ? { content: { "application/json": { schema: jsonSchema(route.response, "output") } } }
              : {}),
          };
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [route.tag],
      parameters,
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { "application/json": { schema: jsonSchema(route.body, "input") } },
            },
          }
        : {}),
      responses: {
        [status]: success,
        ...(route.guard
          ? {
              "202": {
                description:
                  "Not applied: the environment is guarded and the caller is not among its approvers; the change request waits for them",
                content: { "application/json": { schema: jsonSchema(changeRequestSchema, "output") } },
              },
            }
          : {}),
        ...Object.fromEntries(
          errorStatuses(route).map((s) => [String(s), { $ref: `#/components/responses/Problem${s}` }]),
        ),
      },
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "tenancy control plane",
      version,
      description:
        "Projects, domains and environments: quotas, resource defaults, secrets, role bindings, reservations and the audit log.",
      license: { name: "Apache-2.0", identifier: "Apache-2.0" },
    },
    // Relative to wherever the document is served from: every tenancy server serves its own.
    servers: [{ url: "/", description: "the control plane serving this document" }],
    tags: [...new Set(routes.map((r) => r.tag))].map((name) => ({
      name,
      description: tagDescriptions[name] ?? name,
    })),
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
      schemas: { Problem: problemSchema },
      responses: problemResponses(),
    },
    security: [{ bearer: [] }],
    paths,
  };
}
