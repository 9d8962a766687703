import * as m from "../../../model";
import { route } from "../route";

export const domainsRoutes = [
  route({
    method: "GET",
    url: "/v1/domains",
    operationId: "listDomains",
    tag: "domains",
    summary: "List domains",
    response: m.domainSchema.array(),
    handle: (s, r) => s.domains.list(r.actor),
  }),
  route({
    method: "POST",
    url: "/v1/domains",
    operationId: "createDomain",
    tag: "domains",
    summary: "Create a domain",
    status: 201,
    body: m.domainCreateSchema,
    response: m.domainSchema,
    handle: (s, r) => s.domains.create(r.actor, r.body, r.idempotencyKey),
  }),
  route({
    method: "GET",
    url: "/v1/domains/:domain",
    operationId: "getDomain",
    tag: "domains",
    summary: "Get a domain",
    response: m.domainSchema,
    handle: (s, r) => s.domains.get(r.actor, r.params.domain),
  }),
  route({
    method: "PATCH",
    url: "/v1/domains/:domain",
    operationId: "updateDomain",
    tag: "domains",
    summary: "Change a domain (If-Match)",
    body: m.domainPatchSchema,
    response: m.domainSchema,
    handle: (s, r) => s.domains.update(r.actor, r.params.domain, r.body, r.expectedVersion),
  }),
  route({
    method: "DELETE",
    url: "/v1/domains/:domain",
    operationId: "deleteDomain",
    tag: "domains",
    summary: "Delete an unused domain (If-Match)",
    status: 204,
    handle: (s, r) => s.domains.remove(r.actor, r.params.domain, r.expectedVersion),
  }),
];
