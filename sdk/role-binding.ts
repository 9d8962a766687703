import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

export type Role = "admin" | "developer" | "contributor" | "viewer";

/** The arguments of a {@link RoleBinding}. Every field is part of its identity. */
export interface RoleBindingArgs {
  project: pulumi.Input<string>;
  /** Bind on one environment only; omitted, the binding covers the whole project. */
  environment?: pulumi.Input<string>;
  /** `user:…`, `team:…` or `service:…`. */
  subject: pulumi.Input<string>;
  role: pulumi.Input<Role>;
  /** From this instant (RFC 3339, e.g. `2027-01-31T00:00:00Z`) the binding grants nothing, whether
   * or not anything deletes it. A new instant replaces the binding. */
  expiresAt?: pulumi.Input<string>;
  adopt?: pulumi.Input<boolean>;
}

/**
 * Grants a role on a project or one of its environments; the control plane enforces it on the
 * next request.
 *
 * @example
 * new tenancy.RoleBinding("web-devs", { project: "web", subject: "team:storefront", role: "developer" });
 */
export class RoleBinding extends TenancyResource {
  declare readonly project: pulumi.Output<string>;
  declare readonly environment: pulumi.Output<string | undefined>;
  declare readonly subject: pulumi.Output<string>;
  declare readonly role: pulumi.Output<Role>;
  declare readonly expiresAt: pulumi.Output<string | undefined>;
  /** The control plane's id of the binding. */
  declare readonly bindingId: pulumi.Output<string>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: RoleBindingArgs, opts?: pulumi.CustomResourceOptions) {
    super("RoleBinding", name, args, TenancyResource.prepareInEnvironment("RoleBinding", name, args, opts));
  }
}
