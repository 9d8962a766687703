import * as pulumi from "@pulumi/pulumi";
import { registerEnvironment } from "./provider";
import { TenancyResource } from "./resource";

/** The arguments of an {@link Environment}. */
export interface EnvironmentArgs {
  /** The project it belongs to. Changing it transfers the environment, with its quota, defaults,
   * secret and role bindings, instead of replacing it. */
  project: pulumi.Input<string>;
  /** The domain it instantiates (immutable). */
  domain: pulumi.Input<string>;
  /** Defaults to the domain's name; a custom name (e.g. `acme-prod`) makes a client environment. */
  name?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  labels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /**
   * A protected environment cannot be deleted or moved until this is unset. Given as a plain `true`,
   * it also sets Pulumi's `protect` option, so `pulumi preview` already refuses a program that would
   * delete or replace it (removing it, renaming its project), before anything has changed. To
   * remove a protected environment, set `protected: false`, run `pulumi up`, then remove it.
   */
  protected?: pulumi.Input<boolean>;
  /** The clusters it is placed on (`[]`: none); unset, its domain's. */
  clusters?: pulumi.Input<pulumi.Input<string>[]>;
  /**
   * Guards the environment: a write to it or anything under it by someone who is not among
   * `approvers` (subjects or teams; org admins always approve) waits as a change request until
   * `required` (default 1) distinct approvers approve it. `pulumi up` by a non-approver fails that
   * resource with the request's id and the command that approves it; after approval, the next
   * `up` converges.
   */
  approval?: pulumi.Input<{
    approvers: pulumi.Input<pulumi.Input<string>[]>;
    required?: pulumi.Input<number>;
  }>;
  /** Take over an environment that already exists instead of failing on it. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A project's instance in one domain, with its own quota, defaults, secrets and roles.
 *
 * @example
 * const webProd = new tenancy.Environment("web-production", { project: web.name, domain: production.name, protected: true });
 */
export class Environment extends TenancyResource {
  declare readonly project: pulumi.Output<string>;
  declare readonly domain: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string | undefined>;
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  declare readonly protected: pulumi.Output<boolean | undefined>;
  declare readonly clusters: pulumi.Output<string[] | undefined>;
  declare readonly approval: pulumi.Output<{ approvers: string[]; required?: number } | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.CustomResourceOptions) {
    const prepared = TenancyResource.prepare("Environment", name, args, opts);
    super("Environment", name, args, {
      ...prepared,
      // The engine checks `protect` when it plans, in preview too; the control plane's own refusal
      // only comes when the delete is sent, after the environment's dependents are gone.
      opts: args.protected === true ? pulumi.mergeOptions(opts, { protect: true }) : opts,
    });
    registerEnvironment(this.name, this, prepared.inputs.managedBy);
  }
}
