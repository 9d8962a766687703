import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

/** The arguments of an {@link ApiToken}. Changing any but `rotateBefore` issues a new token. */
export interface ApiTokenArgs {
  /** What the token is for (shown in the audit log as the actor). */
  name: pulumi.Input<string>;
  /** `service:…` or `user:…`: whose role bindings the token uses. */
  subject: pulumi.Input<string>;
  /** Teams the token carries (`team:…`), as an identity provider's group claims would. */
  teams?: pulumi.Input<pulumi.Input<string>[]>;
  /** An org admin token may do everything. */
  orgAdmin?: pulumi.Input<boolean>;
  /** A sync token for `tenancy sync --cluster <name>`: it reads only what is placed on this
   * cluster (secret values included) and writes only that cluster's status. */
  cluster?: pulumi.Input<string>;
  /** A directory token for an identity provider's SCIM client: it reaches `/scim/v2` and nothing
   * else. */
  scim?: pulumi.Input<boolean>;
  /** Lifetime from issue: `30m`, `12h`, `90d`. Omitted, the token never expires. */
  expiresIn?: pulumi.Input<string>;
  /** A `pulumi up` this close to the expiry (e.g. `7d`) issues a new token, then revokes the old
   * one. Omitted, the token is re-issued by the first `up` after it expired. */
  rotateBefore?: pulumi.Input<string>;
  /** Refused: a token's secret is shown only once, so an existing token cannot be taken over. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * An API token issued to a service or user. The token is a secret output (encrypted in the
 * state); deleting the resource revokes it; a token revoked or expired outside the stack shows as
 * gone at `pulumi refresh`, and the next `up` issues a new one.
 *
 * @example
 * const ci = new tenancy.ApiToken("pipeline", { name: "pipeline", subject: "service:pipeline", expiresIn: "90d", rotateBefore: "7d" });
 * export const pipelineToken = ci.token;
 */
export class ApiToken extends TenancyResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly subject: pulumi.Output<string>;
  declare readonly teams: pulumi.Output<string[] | undefined>;
  declare readonly orgAdmin: pulumi.Output<boolean | undefined>;
  declare readonly cluster: pulumi.Output<string | undefined>;
  declare readonly expiresIn: pulumi.Output<string | undefined>;
  declare readonly rotateBefore: pulumi.Output<string | undefined>;
  /** The token itself: always a secret output. */
  declare readonly token: pulumi.Output<string>;
  /** The control plane's id of the token (also the resource's id). */
  declare readonly tokenId: pulumi.Output<string>;
  declare readonly expiresAt: pulumi.Output<string | undefined>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: ApiTokenArgs, opts?: pulumi.CustomResourceOptions) {
    const prepared = TenancyResource.prepare("ApiToken", name, args, opts);
    super("ApiToken", name, args, {
      ...prepared,
      opts: pulumi.mergeOptions(opts, { additionalSecretOutputs: ["token"] }),
    });
  }
}
