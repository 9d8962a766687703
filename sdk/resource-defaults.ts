import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, environmentResource, type ManagedBy, pauseStackTraces } from "./provider";
import type { Quantity } from "./quota";

/** Amounts per resource kind. */
export interface ResourceAmounts {
  cpu?: pulumi.Input<Quantity>;
  memory?: pulumi.Input<Quantity>;
  gpu?: pulumi.Input<Quantity>;
  storage?: pulumi.Input<Quantity>;
}

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
export class ResourceDefaults extends pulumi.dynamic.Resource {
  declare readonly domain: pulumi.Output<string | undefined>;
  declare readonly project: pulumi.Output<string | undefined>;
  declare readonly environment: pulumi.Output<string | undefined>;
  declare readonly requests: pulumi.Output<Record<string, string> | undefined>;
  declare readonly limits: pulumi.Output<Record<string, string> | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;
  /** The resource that manages the object (this one, once created), or null when made by hand. */
  declare readonly managedBy: pulumi.Output<ManagedBy | null>;

  constructor(name: string, args: ResourceDefaultsArgs, opts?: pulumi.CustomResourceOptions) {
    const scoped = environmentResource("ResourceDefaults", name, args, opts);
    const restoreStackTraces = pauseStackTraces();
    try {
      super(
        dynamicProvider("resource-defaults"),
        name,
        {
          ...scoped.inputs,
          domain: undefined,
          project: undefined,
          environment: undefined,
          requests: undefined,
          limits: undefined,
          ...args,
          version: undefined,
          createdAt: undefined,
          updatedAt: undefined,
        },
        scoped.opts,
        "tenancy",
        "ResourceDefaults",
      );
    } finally {
      restoreStackTraces();
    }
  }
}
