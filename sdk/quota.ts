import * as pulumi from "@pulumi/pulumi";
import type { QuotaDimension, ResourceKind } from "../model/dimensions";
import { TenancyResource } from "./resource";

/** A Kubernetes quantity (`500m`, `2`, `16Gi`) or a number. */
export type Quantity = string | number;

/** A limit per dimension of the registry (model/dimensions.ts): a quantity, or a count. */
type QuotaLimitArgs = { [K in ResourceKind]?: pulumi.Input<Quantity> } & {
  [K in Exclude<QuotaDimension, ResourceKind>]?: pulumi.Input<number>;
};

/** The limits as outputs; quantities normalised (`"2048Mi"` reads back as `"2Gi"`). */
type QuotaLimitOutputs = { readonly [K in ResourceKind]: pulumi.Output<string | undefined> } & {
  readonly [K in Exclude<QuotaDimension, ResourceKind>]: pulumi.Output<number | undefined>;
};

/** The arguments of a {@link Quota}: exactly one scope, an environment (`project` and
 * `environment`), a project's ceiling (`project` alone) or a domain's ceiling (`domain`). Omitted
 * limits are unlimited. */
export interface QuotaArgs extends QuotaLimitArgs {
  project?: pulumi.Input<string>;
  environment?: pulumi.Input<string>;
  domain?: pulumi.Input<string>;
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
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class Quota extends TenancyResource {
  declare readonly project: pulumi.Output<string | undefined>;
  declare readonly environment: pulumi.Output<string | undefined>;
  declare readonly domain: pulumi.Output<string | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: QuotaArgs, opts?: pulumi.CustomResourceOptions) {
    super("Quota", name, args, TenancyResource.prepareInEnvironment("Quota", name, args, opts));
  }
}

// The limits' outputs, one per dimension of the registry, merged into the class's type (a class
// cannot declare fields from a mapped type).
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging, @typescript-eslint/no-empty-object-type
export interface Quota extends QuotaLimitOutputs {}
