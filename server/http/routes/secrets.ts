import * as m from "../../../model";
import { secretGuard } from "../guards";
import { envUrl as env, route } from "../route";

export const secretsRoutes = [
  route({
    method: "GET",
    url: `${env}/secrets`,
    operationId: "listSecrets",
    tag: "secrets",
    summary: "List secret bindings (metadata only)",
    response: m.secretBindingSchema.array(),
    handle: (s, r) => s.secrets.list(r.actor, r.params.project, r.params.environment),
  }),
  route({
    method: "POST",
    url: `${env}/secrets`,
    operationId: "createSecret",
    tag: "secrets",
    summary: "Bind a secret value or reference",
    status: 201,
    body: m.secretCreateSchema,
    response: m.secretBindingSchema,
    guard: secretGuard,
    handle: (s, r) =>
      s.secrets.create(r.actor, r.params.project, r.params.environment, r.body, r.idempotencyKey),
  }),
  route({
    method: "GET",
    url: `${env}/secrets/:name`,
    operationId: "getSecret",
    tag: "secrets",
    summary: "Get a secret binding's metadata",
    response: m.secretBindingSchema,
    handle: (s, r) => s.secrets.get(r.actor, r.params.project, r.params.environment, r.params.name),
  }),
  route({
    method: "PATCH",
    url: `${env}/secrets/:name`,
    operationId: "updateSecret",
    tag: "secrets",
    summary: "Rotate or re-point a secret binding (If-Match)",
    body: m.secretPatchSchema,
    response: m.secretBindingSchema,
    guard: secretGuard,
    handle: (s, r) =>
      s.secrets.update(
        r.actor,
        r.params.project,
        r.params.environment,
        r.params.name,
        r.body,
        r.expectedVersion,
      ),
  }),
  route({
    method: "DELETE",
    url: `${env}/secrets/:name`,
    operationId: "deleteSecret",
    tag: "secrets",
    summary: "Remove a secret binding (If-Match)",
    status: 204,
    guard: secretGuard,
    handle: (s, r) =>
      s.secrets.remove(r.actor, r.params.project, r.params.environment, r.params.name, r.expectedVersion),
  }),
  route({
    method: "POST",
    url: `${env}/secrets/:name/reveal`,
    operationId: "revealSecret",
    tag: "secrets",
    summary: "Reveal a secret's value (developer or above in this environment)",
    response: m.secretRevealSchema,
    handle: (s, r) => s.secrets.reveal(r.actor, r.params.project, r.params.environment, r.params.name),
  }),
  route({
    method: "POST",
    url: "/v1/secrets/reveal",
    operationId: "revealSecrets",
    tag: "secrets",
    summary: `Reveal several secrets' values at once (at most ${m.revealBatchLimit}; each checked and audited as a single reveal)`,
    body: m.secretsRevealSchema,
    response: m.secretsRevealedSchema,
    handle: (s, r) => s.secrets.revealMany(r.actor, r.body),
  }),
];
