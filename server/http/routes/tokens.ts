import * as m from "../../../model";
import { route } from "../route";

export const tokensRoutes = [
  route({
    method: "GET",
    url: "/v1/tokens",
    operationId: "listTokens",
    tag: "tokens",
    summary: "List tokens (never their secrets)",
    response: m.tokenSchema.array(),
    handle: (s, r) => s.tokens.list(r.actor),
  }),
  route({
    method: "POST",
    url: "/v1/tokens",
    operationId: "createToken",
    tag: "tokens",
    summary:
      "Issue a token; its secret is in this response only. Issued for a Pulumi resource (tenancy-owner), " +
      "it revokes that resource's other tokens but the one ?keep names (the token it replaces)",
    status: 201,
    body: m.tokenCreateSchema,
    response: m.issuedTokenSchema,
    handle: (s, r) =>
      s.tokens.create(
        r.actor,
        r.body,
        r.idempotencyKey,
        typeof r.query.keep === "string" ? r.query.keep : undefined,
      ),
  }),
  route({
    method: "GET",
    url: "/v1/tokens/:id",
    operationId: "getToken",
    tag: "tokens",
    summary: "Get a token (never its secret): its expiry and revocation",
    response: m.tokenSchema,
    handle: (s, r) => s.tokens.get(r.actor, r.params.id),
  }),
  route({
    method: "DELETE",
    url: "/v1/tokens/:id",
    operationId: "revokeToken",
    tag: "tokens",
    summary: "Revoke a token",
    status: 204,
    handle: (s, r) => s.tokens.revoke(r.actor, r.params.id),
  }),
];
