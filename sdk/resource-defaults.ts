import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";
import type { ResourceKind } from "../model/dimensions";
import type { Quantity } from "./quota";

/** Amounts per resource kind (model/dimensions.ts). */
export type ResourceAmounts = { [K in ResourceKind]?: pulumi.Input<Quantity> };

/** The arguments of {@link ResourceDefaults}: exactly one scope, `domain`, or `project` (with
 * `environment` for one environment). */
export interface ResourceDefaultsArgs {
  domain?: pulumi.Input<string>;
  project?: pulumi.Input<string>;
  environment?: pulumi.Input<string>;
  requests?: pulumi.Input<ResourceAmounts>;
  limits?: pulumi.Input<ResourceAmounts>;
  adopt?: pulumi.Input<boolean>;
}

/**
 * Default requests and limits for workloads. Effective values: environment over project over domain.
 *
 * @example
 * new tenancy.ResourceDefaults("production-defaults", { domain: "production", requests: { cpu: "500m", memory: "1Gi" } });
 */
export class ResourceDefaults extends TenancyResource {
  declare readonly domain: pulumi.Output<string | undefined>;
  declare readonly project: pulumi.Output<string | undefined>;
  declare readonly environment: pulumi.Output<string | undefined>;
  declare readonly requests: pulumi.Output<Record<string, string> | undefined>;
  declare readonly limits: pulumi.Output<Record<string, string> | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: ResourceDefaultsArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "ResourceDefaults",
      name,
      args,
      TenancyResource.prepareInEnvironment("ResourceDefaults", name, args, opts),
    );
  }
}
