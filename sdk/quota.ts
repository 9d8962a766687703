import * as pulumi from "@pulumi/pulumi";
import { dynamicProvider, environmentResource, type ManagedBy, pauseStackTraces } from "./provider";

/** A Kubernetes quantity (`500m`, `2`, `16Gi`) or a number. */
export type Quantity = string | number;

/** The arguments of a {@link Quota}: exactly one scope, an environment (`project` and
 * `environment`), a project's ceiling (`project` alone) or a domain's ceiling (`domain`). Omitted
 * limits are unlimited. */
export interface QuotaArgs {
  project?: pulumi.Input<string>;
  environment?: pulumi.Input<string>;
  domain?: pulumi.Input<string>;
  cpu?: pulumi.Input<Quantity>;
  memory?: pulumi.Input<Quantity>;
  gpu?: pulumi.Input<Quantity>;
  storage?: pulumi.Input<Quantity>;
  maxConcurrentExecutions?: pulumi.Input<number>;
  adopt?: pulumi.Input<boolean>;
}

/**
 * The limits of one environment, or a ceiling over a whole project or domain. The control plane
 * admits reservations against an environment's quota and every ceiling above it, atomically, and
 * refuses quotas that would add up to more than a ceiling above them.
 *
 * @example
 * new tenancy.Quota("web-production", { project: "web", environment: webProd.name, cpu: 32, memory: "128Gi", maxConcurrentExecutions: 50 });
 * new tenancy.Quota("web", { project: "web", cpu: 64 }); // the project's ceiling
 * new tenancy.Quota("production", { domain: "production", gpu: 8 }); // the domain's ceiling
 */
export class Quota extends pulumi.dynamic.Resource {
  declare readonly project: pulumi.Output<string | undefined>;
  declare readonly environment: pulumi.Output<string | undefined>;
  declare readonly domain: pulumi.Output<string | undefined>;
  /** Normalised: `"2048Mi"` reads back as `"2Gi"`. */
  declare readonly cpu: pulumi.Output<string | undefined>;
  declare readonly memory: pulumi.Output<string | undefined>;
  declare readonly gpu: pulumi.Output<string | undefined>;
  declare readonly storage: pulumi.Output<string | undefined>;
  declare readonly maxConcurrentExecutions: pulumi.Output<number | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;
  /** The resource that manages the object (this one, once created), or null when made by hand. */
  declare readonly managedBy: pulumi.Output<ManagedBy | null>;

  constructor(name: string, args: QuotaArgs, opts?: pulumi.CustomResourceOptions) {
    const scoped = environmentResource("Quota", name, args, opts);
    const restoreStackTraces = pauseStackTraces();
    try {
      super(
        dynamicProvider("quota"),
        name,
        {
          ...scoped.inputs,
          project: undefined,
          environment: undefined,
          domain: undefined,
          cpu: undefined,
          memory: undefined,
          gpu: undefined,
          storage: undefined,
          maxConcurrentExecutions: undefined,
          ...args,
          version: undefined,
          createdAt: undefined,
          updatedAt: undefined,
        },
        scoped.opts,
        "tenancy",
        "Quota",
      );
    } finally {
      restoreStackTraces();
    }
  }
}
