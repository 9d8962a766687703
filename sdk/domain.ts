import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

/** The arguments of a {@link Domain}. */
export interface DomainArgs {
  /** The domain's name (immutable): lowercase letters, digits and `-`, 1-40 characters. */
  name: pulumi.Input<string>;
  /** `production` or `non-production` (immutable); isolation rules key on it. */
  tier: pulumi.Input<"production" | "non-production">;
  displayName?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  /** Rank in promotion order, e.g. development 10, staging 20, production 30. */
  order?: pulumi.Input<number>;
  /** The clusters its environments are placed on, unless an environment names its own. */
  clusters?: pulumi.Input<pulumi.Input<string>[]>;
  /** Take over a domain that already exists in the control plane instead of failing on it. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * An org-wide stage (development, staging, production or a custom one).
 *
 * @example
 * const production = new tenancy.Domain("production", { name: "production", tier: "production", order: 30 });
 */
export class Domain extends TenancyResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly tier: pulumi.Output<"production" | "non-production">;
  declare readonly displayName: pulumi.Output<string | undefined>;
  declare readonly description: pulumi.Output<string | undefined>;
  declare readonly order: pulumi.Output<number | undefined>;
  declare readonly clusters: pulumi.Output<string[] | undefined>;
  /** Raised by every change; sent back as If-Match. */
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: DomainArgs, opts?: pulumi.CustomResourceOptions) {
    super("Domain", name, args, TenancyResource.prepare("Domain", name, args, opts));
  }
}
