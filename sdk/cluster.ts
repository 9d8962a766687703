import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

/** The arguments of a {@link Cluster}. */
export interface ClusterArgs {
  /** The cluster's name (immutable), as `tenancy sync --cluster <name>` is given it. */
  name: pulumi.Input<string>;
  displayName?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Take over a cluster that already exists in the control plane instead of failing on it. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A Kubernetes cluster that `tenancy sync` keeps in step with the environments placed on it.
 *
 * @example
 * const eu = new tenancy.Cluster("eu-west", { name: "eu-west", labels: { region: "eu-west-1" } });
 * new tenancy.Domain("production", { name: "production", tier: "production", clusters: [eu.name] });
 */
export class Cluster extends TenancyResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly displayName: pulumi.Output<string | undefined>;
  declare readonly description: pulumi.Output<string | undefined>;
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  /** Raised by every change; sent back as If-Match. */
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: ClusterArgs, opts?: pulumi.CustomResourceOptions) {
    super("Cluster", name, args, TenancyResource.prepare("Cluster", name, args, opts));
  }
}
