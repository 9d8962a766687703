// The directory's HTTP face: /scim/v2 per RFC 7644, for identity providers' provisioning clients.
// Its own content type (application/scim+json), its own error schema, and its own tokens: only a
// directory token (scim: true) reaches it, and a directory token reaches nothing else.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ScimError, TenancyError, scimSchemas, unstorableText, type ScimType } from "../../model";
import { isDatabaseUnavailable } from "../store/unavailable";
import type { Service } from "../service";
import { tokenHashOf } from "./authentication";

const scimType = "application/scim+json";
const prefix = "/scim/v2";

/** A service error in SCIM's words: its status, and the scimType RFC 7644 names for it. */
function scimErrorOf(err: unknown): ScimError | undefined {
  if (ScimError.isInstance(err)) return err;
  if (TenancyError.isInstance(err)) {
    const types: Partial<Record<string, ScimType>> = {
      conflict: "uniqueness",
      validation_failed: "invalidValue",
    };
    return new ScimError(err.status, err.message, types[err.code]);
  }
  if (isDatabaseUnavailable(err)) return new ScimError(503, "the database cannot be reached; retry shortly");
  const status = (err as FastifyError).statusCode;
  if (status !== undefined && status >= 400 && status < 500) {
    return new ScimError(status, (err as Error).message, status === 400 ? "invalidSyntax" : undefined);
  }
  return undefined;
}

function send(reply: FastifyReply, status: number, body: unknown) {
  return reply.status(status).type(scimType).send(body);
}

/** The resource's own address, in its meta as RFC 7643 §3.1 asks. */
function located<T extends { id: string; meta: object }>(request: FastifyRequest, kind: string, resource: T) {
  return {
    ...resource,
    meta: {
      ...resource.meta,
      location: `${request.protocol}://${request.host}${prefix}/${kind}/${resource.id}`,
    },
  };
}

interface ListQuery {
  filter?: string;
  startIndex?: string;
  count?: string;
  excludedAttributes?: string;
}

function pageOf(query: ListQuery) {
  const number = (value: string | undefined, name: string) => {
    if (value === undefined) return undefined;
    if (!/^-?\d{1,9}$/.test(value)) throw new ScimError(400, `${name} must be an integer`, "invalidValue");
    return Number(value);
  };
  return {
    ...(query.filter !== undefined ? { filter: query.filter } : {}),
    ...(query.startIndex !== undefined ? { startIndex: number(query.startIndex, "startIndex") } : {}),
    ...(query.count !== undefined ? { count: number(query.count, "count") } : {}),
  };
}

/** Whether members are asked for: Entra ID lists groups with excludedAttributes=members. */
const withMembers = (query: ListQuery) =>
  !(query.excludedAttributes ?? "").split(",").some((a) => a.trim().toLowerCase() === "members");

const serviceProviderConfig = {
  schemas: [scimSchemas.serviceProviderConfig],
  patch: { supported: true },
  bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
  filter: { supported: true, maxResults: 1000 },
  changePassword: { supported: false },
  sort: { supported: false },
  etag: { supported: false },
  authenticationSchemes: [
    {
      type: "oauthbearertoken",
      name: "Bearer token",
      description: "A tenancy directory token (an ApiToken with scim: true), sent as Authorization: Bearer",
    },
  ],
  meta: { resourceType: "ServiceProviderConfig", location: `${prefix}/ServiceProviderConfig` },
};

const attribute = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: "string",
  multiValued: false,
  required: false,
  caseExact: false,
  mutability: "readWrite",
  returned: "default",
  uniqueness: "none",
  ...extra,
});

const schemaDocuments = [
  {
    schemas: [scimSchemas.schema],
    id: scimSchemas.user,
    name: "User",
    description: "A person: the subject user:<userName>",
    attributes: [
      attribute("userName", { required: true, uniqueness: "server" }),
      attribute("externalId", { caseExact: true }),
      attribute("displayName"),
      attribute("active", { type: "boolean" }),
    ],
    meta: { resourceType: "Schema", location: `${prefix}/Schemas/${scimSchemas.user}` },
  },
  {
    schemas: [scimSchemas.schema],
    id: scimSchemas.group,
    name: "Group",
    description: "A team the directory keeps",
    attributes: [
      attribute("displayName", { required: true }),
      attribute("externalId", { caseExact: true }),
      attribute("members", {
        type: "complex",
        multiValued: true,
        subAttributes: [
          attribute("value", { mutability: "immutable" }),
          attribute("display", { mutability: "readOnly" }),
        ],
      }),
    ],
    meta: { resourceType: "Schema", location: `${prefix}/Schemas/${scimSchemas.group}` },
  },
];

const resourceTypes = [
  { name: "User", endpoint: "/Users", schema: scimSchemas.user, schemaExtensions: [] as unknown[] },
  { name: "Group", endpoint: "/Groups", schema: scimSchemas.group, schemaExtensions: [] as unknown[] },
].map((t) => ({
  schemas: [scimSchemas.resourceType],
  id: t.name,
  ...t,
  meta: { resourceType: "ResourceType", location: `${prefix}/ResourceTypes/${t.name}` },
}));

const listOf = (resources: unknown[]) => ({
  schemas: [scimSchemas.list],
  totalResults: resources.length,
  startIndex: 1,
  itemsPerPage: resources.length,
  Resources: resources,
});

export async function registerScim(app: FastifyInstance, service: Service) {
  await app.register(
    async (scim) => {
      const parseJson = scim.getDefaultJsonParser("error", "error");
      scim.addContentTypeParser(scimType, { parseAs: "string" }, (request, body, done) => {
        if (String(body).trim() === "") return done(null, undefined);
        parseJson(request, String(body), done);
      });
      scim.setErrorHandler((error: FastifyError, request, reply) => {
        const known = scimErrorOf(error);
        if (known) return send(reply, known.status, known.toBody());
        request.log.error({ err: { message: error.message, stack: error.stack } }, "SCIM request failed");
        return send(
          reply,
          500,
          new ScimError(500, `internal error (request ${request.id}); see the server log`).toBody(),
        );
      });
      scim.setNotFoundHandler((request, reply) =>
        send(
          reply,
          404,
          new ScimError(404, `no SCIM endpoint ${request.method} ${request.url.split("?")[0]}`).toBody(),
        ),
      );
      // Text PostgreSQL cannot store (NUL, unpaired surrogates) is the caller's error, not a fault.
      scim.addHook("preHandler", async (request) => {
        const unstorable = [
          ...unstorableText(request.params, "params"),
          ...unstorableText(request.query, "query"),
          ...unstorableText(request.body),
        ];
        if (unstorable.length > 0) {
          const detail = unstorable.map((e) => `${e.path} ${e.message}`).join("; ");
          throw new ScimError(400, `refused: ${detail}`, "invalidValue");
        }
      });
      scim.addHook("onRequest", async (request) => {
        request.actor = await service.authenticate(tokenHashOf(request));
        if (!request.actor.scim) {
          throw new ScimError(
            403,
            `token ${request.actor.tokenId} is no directory token: ${prefix} takes only those (scim: true)`,
          );
        }
      });

      scim.get("/ServiceProviderConfig", (_request, reply) => send(reply, 200, serviceProviderConfig));
      scim.get("/Schemas", (_request, reply) => send(reply, 200, listOf(schemaDocuments)));
      scim.get<{ Params: { id: string } }>("/Schemas/:id", (request, reply) => {
        const found = schemaDocuments.find((s) => s.id === request.params.id);
        if (!found) throw new ScimError(404, `no schema ${request.params.id}`);
        return send(reply, 200, found);
      });
      scim.get("/ResourceTypes", (_request, reply) => send(reply, 200, listOf(resourceTypes)));
      scim.get<{ Params: { id: string } }>("/ResourceTypes/:id", (request, reply) => {
        const found = resourceTypes.find((t) => t.id === request.params.id);
        if (!found) throw new ScimError(404, `no resource type ${request.params.id}`);
        return send(reply, 200, found);
      });

      // Users and Groups answer alike; only groups leave members out when asked to.
      for (const [endpoint, store] of [
        ["Users", service.directory.users],
        ["Groups", service.directory.groups],
      ] as const) {
        type ById = { Params: { id: string }; Querystring: ListQuery };
        scim.post(`/${endpoint}`, async (request, reply) => {
          const created = located(request, endpoint, await store.create(request.actor!, request.body));
          reply.header("location", created.meta.location);
          return send(reply, 201, created);
        });
        scim.get<{ Querystring: ListQuery }>(`/${endpoint}`, async (request, reply) => {
          const list = await store.list(pageOf(request.query), { members: withMembers(request.query) });
          const resources: { id: string; meta: object }[] = list.Resources;
          return send(reply, 200, {
            ...list,
            Resources: resources.map((r) => located(request, endpoint, r)),
          });
        });
        scim.get<ById>(`/${endpoint}/:id`, async (request, reply) => {
          const found = await store.get(request.params.id, { members: withMembers(request.query) });
          return send(reply, 200, located(request, endpoint, found));
        });
        scim.put<ById>(`/${endpoint}/:id`, async (request, reply) => {
          const replaced = await store.replace(request.actor!, request.params.id, request.body);
          return send(reply, 200, located(request, endpoint, replaced));
        });
        scim.patch<ById>(`/${endpoint}/:id`, async (request, reply) => {
          const patched = await store.patch(request.actor!, request.params.id, request.body);
          return send(reply, 200, located(request, endpoint, patched));
        });
        scim.delete<ById>(`/${endpoint}/:id`, async (request, reply) => {
          await store.remove(request.actor!, request.params.id);
          return reply.status(204).send();
        });
      }
    },
    { prefix },
  );
}
