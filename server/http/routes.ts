// Every route of the API, declared once: Fastify registers them and /openapi.json describes them.
import type { z } from "zod";
import * as m from "../../model";
import type { Actor, Service } from "../service";

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a handler gets from the request, already authenticated. */
export interface RouteRequest {
  actor: Actor;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** From If-Match; undefined when absent. */
  expectedVersion: number | undefined;
  idempotencyKey: string | undefined;
}

export interface RouteSpec {
  method: Method;
  url: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  response?: z.ZodType;
  /** 201 for creates, 204 for deletes, 200 otherwise. */
  status?: 200 | 201 | 204;
  handle(request: RouteRequest): Promise<unknown>;
}

const env = "/v1/projects/:project/environments/:environment";

export function routes(service: Service): RouteSpec[] {
  const s = service;
  const envScope = (p: Record<string, string>) => ({
    kind: "environment" as const,
    project: p.project!,
    environment: p.environment!,
  });
  return [
    // Domains
    {
      method: "GET",
      url: "/v1/domains",
      tag: "domains",
      summary: "List domains",
      response: m.domainSchema.array(),
      handle: (r) => s.domains.list(r.actor),
    },
    {
      method: "POST",
      url: "/v1/domains",
      tag: "domains",
      summary: "Create a domain",
      status: 201,
      body: m.domainCreateSchema,
      response: m.domainSchema,
      handle: (r) => s.domains.create(r.actor, r.body, r.idempotencyKey),
    },
    {
      method: "GET",
      url: "/v1/domains/:domain",
      tag: "domains",
      summary: "Get a domain",
      response: m.domainSchema,
      handle: (r) => s.domains.get(r.actor, r.params.domain!),
    },
    {
      method: "PATCH",
      url: "/v1/domains/:domain",
      tag: "domains",
      summary: "Change a domain (If-Match)",
      body: m.domainPatchSchema,
      response: m.domainSchema,
      handle: (r) => s.domains.update(r.actor, r.params.domain!, r.body, r.expectedVersion),
    },
    {
      method: "DELETE",
      url: "/v1/domains/:domain",
      tag: "domains",
      summary: "Delete an unused domain (If-Match)",
      status: 204,
      handle: (r) => s.domains.remove(r.actor, r.params.domain!, r.expectedVersion),
    },
    {
      method: "GET",
      url: "/v1/domains/:domain/defaults",
      tag: "defaults",
      summary: "Get a domain's resource defaults",
      response: m.resourceDefaultsSchema,
      handle: (r) => s.defaults.get(r.actor, { kind: "domain", domain: r.params.domain! }),
    },
    {
      method: "PUT",
      url: "/v1/domains/:domain/defaults",
      tag: "defaults",
      summary: "Set a domain's resource defaults",
      body: m.resourceDefaultsSpecSchema,
      response: m.resourceDefaultsSchema,
      handle: (r) =>
        s.defaults.put(r.actor, { kind: "domain", domain: r.params.domain! }, r.body, r.expectedVersion),
    },
    {
      method: "DELETE",
      url: "/v1/domains/:domain/defaults",
      tag: "defaults",
      summary: "Remove a domain's resource defaults",
      status: 204,
      handle: (r) =>
        s.defaults.remove(r.actor, { kind: "domain", domain: r.params.domain! }, r.expectedVersion),
    },

    // Projects
    {
      method: "GET",
      url: "/v1/projects",
      tag: "projects",
      summary: "List the projects the caller holds a role in",
      response: m.projectSchema.array(),
      handle: (r) => s.projects.list(r.actor),
    },
    {
      method: "POST",
      url: "/v1/projects",
      tag: "projects",
      summary: "Create a project",
      status: 201,
      body: m.projectCreateSchema,
      response: m.projectSchema,
      handle: (r) => s.projects.create(r.actor, r.body, r.idempotencyKey),
    },
    {
      method: "GET",
      url: "/v1/projects/:project",
      tag: "projects",
      summary: "Get a project",
      response: m.projectSchema,
      handle: (r) => s.projects.get(r.actor, r.params.project!),
    },
    {
      method: "PATCH",
      url: "/v1/projects/:project",
      tag: "projects",
      summary: "Change a project (If-Match)",
      body: m.projectPatchSchema,
      response: m.projectSchema,
      handle: (r) => s.projects.update(r.actor, r.params.project!, r.body, r.expectedVersion),
    },
    {
      method: "DELETE",
      url: "/v1/projects/:project",
      tag: "projects",
      summary: "Delete a project without environments (If-Match)",
      status: 204,
      handle: (r) => s.projects.remove(r.actor, r.params.project!, r.expectedVersion),
    },
    {
      method: "GET",
      url: "/v1/projects/:project/defaults",
      tag: "defaults",
      summary: "Get a project's resource defaults",
      response: m.resourceDefaultsSchema,
      handle: (r) => s.defaults.get(r.actor, { kind: "project", project: r.params.project! }),
    },
    {
      method: "PUT",
      url: "/v1/projects/:project/defaults",
      tag: "defaults",
      summary: "Set a project's resource defaults",
      body: m.resourceDefaultsSpecSchema,
      response: m.resourceDefaultsSchema,
      handle: (r) =>
        s.defaults.put(r.actor, { kind: "project", project: r.params.project! }, r.body, r.expectedVersion),
    },
    {
      method: "DELETE",
      url: "/v1/projects/:project/defaults",
      tag: "defaults",
      summary: "Remove a project's resource defaults",
      status: 204,
      handle: (r) =>
        s.defaults.remove(r.actor, { kind: "project", project: r.params.project! }, r.expectedVersion),
    },

    // Environments
    {
      method: "GET",
      url: "/v1/projects/:project/environments",
      tag: "environments",
      summary: "List a project's environments",
      response: m.environmentSchema.array(),
      handle: (r) => s.environments.list(r.actor, r.params.project!),
    },
    {
      method: "POST",
      url: "/v1/projects/:project/environments",
      tag: "environments",
      summary: "Create an environment",
      status: 201,
      body: m.environmentCreateSchema,
      response: m.environmentSchema,
      handle: (r) => s.environments.create(r.actor, r.params.project!, r.body, r.idempotencyKey),
    },
    {
      method: "GET",
      url: env,
      tag: "environments",
      summary: "Get an environment",
      response: m.environmentSchema,
      handle: (r) => s.environments.get(r.actor, r.params.project!, r.params.environment!),
    },
    {
      method: "PATCH",
      url: env,
      tag: "environments",
      summary: "Change an environment (If-Match)",
      body: m.environmentPatchSchema,
      response: m.environmentSchema,
      handle: (r) =>
        s.environments.update(r.actor, r.params.project!, r.params.environment!, r.body, r.expectedVersion),
    },
    {
      method: "DELETE",
      url: env,
      tag: "environments",
      summary: "Delete an unprotected environment (If-Match)",
      status: 204,
      handle: (r) =>
        s.environments.remove(r.actor, r.params.project!, r.params.environment!, r.expectedVersion),
    },
    {
      method: "POST",
      url: `${env}/transfer`,
      tag: "environments",
      summary: "Move an environment, with everything bound to it, to another project (If-Match)",
      body: m.environmentTransferSchema,
      response: m.environmentSchema,
      handle: (r) =>
        s.environments.transfer(r.actor, r.params.project!, r.params.environment!, r.body, r.expectedVersion),
    },

    // Quota, defaults, effective configuration
    {
      method: "GET",
      url: `${env}/quota`,
      tag: "quotas",
      summary: "Get an environment's quota and usage",
      response: m.quotaSchema.extend({ usage: m.quotaUsageSchema }),
      handle: (r) => s.quotas.get(r.actor, r.params.project!, r.params.environment!),
    },
    {
      method: "PUT",
      url: `${env}/quota`,
      tag: "quotas",
      summary: "Create or replace an environment's quota",
      body: m.quotaSpecSchema,
      response: m.quotaSchema,
      handle: (r) =>
        s.quotas.put(r.actor, r.params.project!, r.params.environment!, r.body, r.expectedVersion),
    },
    {
      method: "DELETE",
      url: `${env}/quota`,
      tag: "quotas",
      summary: "Remove an environment's quota",
      status: 204,
      handle: (r) => s.quotas.remove(r.actor, r.params.project!, r.params.environment!, r.expectedVersion),
    },
    {
      method: "GET",
      url: `${env}/defaults`,
      tag: "defaults",
      summary: "Get an environment's resource defaults",
      response: m.resourceDefaultsSchema,
      handle: (r) => s.defaults.get(r.actor, envScope(r.params)),
    },
    {
      method: "PUT",
      url: `${env}/defaults`,
      tag: "defaults",
      summary: "Set an environment's resource defaults",
      body: m.resourceDefaultsSpecSchema,
      response: m.resourceDefaultsSchema,
      handle: (r) => s.defaults.put(r.actor, envScope(r.params), r.body, r.expectedVersion),
    },
    {
      method: "DELETE",
      url: `${env}/defaults`,
      tag: "defaults",
      summary: "Remove an environment's resource defaults",
      status: 204,
      handle: (r) => s.defaults.remove(r.actor, envScope(r.params), r.expectedVersion),
    },
    {
      method: "GET",
      url: `${env}/effective`,
      tag: "effective",
      summary: "Effective defaults (with the scope of each field), quota, usage and secret names",
      handle: (r) => s.effective.get(r.actor, r.params.project!, r.params.environment!),
    },

    // Secrets
    {
      method: "GET",
      url: `${env}/secrets`,
      tag: "secrets",
      summary: "List secret bindings (metadata only)",
      response: m.secretBindingSchema.array(),
      handle: (r) => s.secrets.list(r.actor, r.params.project!, r.params.environment!),
    },
    {
      method: "POST",
      url: `${env}/secrets`,
      tag: "secrets",
      summary: "Bind a secret value or reference",
      status: 201,
      body: m.secretCreateSchema,
      response: m.secretBindingSchema,
      handle: (r) =>
        s.secrets.create(r.actor, r.params.project!, r.params.environment!, r.body, r.idempotencyKey),
    },
    {
      method: "GET",
      url: `${env}/secrets/:name`,
      tag: "secrets",
      summary: "Get a secret binding's metadata",
      response: m.secretBindingSchema,
      handle: (r) => s.secrets.get(r.actor, r.params.project!, r.params.environment!, r.params.name!),
    },
    {
      method: "PATCH",
      url: `${env}/secrets/:name`,
      tag: "secrets",
      summary: "Rotate or re-point a secret binding (If-Match)",
      body: m.secretPatchSchema,
      response: m.secretBindingSchema,
      handle: (r) =>
        s.secrets.update(
          r.actor,
          r.params.project!,
          r.params.environment!,
          r.params.name!,
          r.body,
          r.expectedVersion,
        ),
    },
    {
      method: "DELETE",
      url: `${env}/secrets/:name`,
      tag: "secrets",
      summary: "Remove a secret binding (If-Match)",
      status: 204,
      handle: (r) =>
        s.secrets.remove(
          r.actor,
          r.params.project!,
          r.params.environment!,
          r.params.name!,
          r.expectedVersion,
        ),
    },
    {
      method: "POST",
      url: `${env}/secrets/:name/reveal`,
      tag: "secrets",
      summary: "Reveal a secret's value (developer or above in this environment)",
      handle: (r) => s.secrets.reveal(r.actor, r.params.project!, r.params.environment!, r.params.name!),
    },

    // Role bindings
    {
      method: "GET",
      url: "/v1/projects/:project/role-bindings",
      tag: "role-bindings",
      summary: "List a project's role bindings",
      response: m.roleBindingSchema.array(),
      handle: (r) =>
        s.roleBindings.list(r.actor, r.params.project!, {
          ...(typeof r.query.environment === "string" ? { environment: r.query.environment } : {}),
          ...(typeof r.query.subject === "string" ? { subject: r.query.subject } : {}),
        }),
    },
    {
      method: "POST",
      url: "/v1/projects/:project/role-bindings",
      tag: "role-bindings",
      summary: "Grant a role on the project or one environment",
      status: 201,
      body: m.roleBindingCreateSchema,
      response: m.roleBindingSchema,
      handle: (r) => s.roleBindings.create(r.actor, r.params.project!, r.body, r.idempotencyKey),
    },
    {
      method: "GET",
      url: "/v1/projects/:project/role-bindings/:id",
      tag: "role-bindings",
      summary: "Get a role binding",
      response: m.roleBindingSchema,
      handle: (r) => s.roleBindings.get(r.actor, r.params.project!, r.params.id!),
    },
    {
      method: "DELETE",
      url: "/v1/projects/:project/role-bindings/:id",
      tag: "role-bindings",
      summary: "Revoke a role binding (effective on the next request)",
      status: 204,
      handle: (r) => s.roleBindings.remove(r.actor, r.params.project!, r.params.id!, r.expectedVersion),
    },

    // Reservations
    {
      method: "GET",
      url: `${env}/reservations`,
      tag: "reservations",
      summary: "List live reservations",
      response: m.reservationSchema.array(),
      handle: (r) => s.reservations.list(r.actor, r.params.project!, r.params.environment!),
    },
    {
      method: "POST",
      url: `${env}/reservations`,
      tag: "reservations",
      summary: "Reserve amounts against the quota, or get quota_exceeded",
      status: 201,
      body: m.reservationCreateSchema,
      response: m.reservationSchema,
      handle: (r) =>
        s.reservations.create(r.actor, r.params.project!, r.params.environment!, r.body, r.idempotencyKey),
    },
    {
      method: "DELETE",
      url: `${env}/reservations/:id`,
      tag: "reservations",
      summary: "Release a reservation",
      status: 204,
      handle: (r) => s.reservations.remove(r.actor, r.params.project!, r.params.environment!, r.params.id!),
    },

    // Tokens and audit
    {
      method: "GET",
      url: "/v1/tokens",
      tag: "tokens",
      summary: "List tokens (never their secrets)",
      response: m.tokenSchema.array(),
      handle: (r) => s.tokens.list(r.actor),
    },
    {
      method: "POST",
      url: "/v1/tokens",
      tag: "tokens",
      summary: "Issue a token; its secret is in this response only",
      status: 201,
      body: m.tokenCreateSchema,
      handle: (r) => s.tokens.create(r.actor, r.body, r.idempotencyKey),
    },
    {
      method: "DELETE",
      url: "/v1/tokens/:id",
      tag: "tokens",
      summary: "Revoke a token",
      status: 204,
      handle: (r) => s.tokens.revoke(r.actor, r.params.id!),
    },
    {
      method: "GET",
      url: "/v1/audit",
      tag: "audit",
      summary: "Read the audit log (filters: actor, action, targetKind, targetId, since, limit)",
      response: m.auditEntrySchema.array(),
      handle: (r) => s.audit.list(r.actor, r.query),
    },
  ];
}
