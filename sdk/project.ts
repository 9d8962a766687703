import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

/** The arguments of a {@link Project}. */
export interface ProjectArgs {
  /** The project's slug (immutable): lowercase letters, digits and `-`, 1-40 characters. */
  name: pulumi.Input<string>;
  displayName?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** Archived projects accept no new environments, bindings or reservations. */
  archived?: pulumi.Input<boolean>;
  /** Take over a project that already exists in the control plane instead of failing on it. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A product, team or client.
 *
 * @example
 * const web = new tenancy.Project("web", { name: "web", displayName: "Web shop", labels: { team: "storefront" } });
 */
export class Project extends TenancyResource {
  declare readonly name: pulumi.Output<string>;
  declare readonly displayName: pulumi.Output<string | undefined>;
  declare readonly description: pulumi.Output<string | undefined>;
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  declare readonly archived: pulumi.Output<boolean | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: ProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super("Project", name, args, TenancyResource.prepare("Project", name, args, opts));
  }
}
