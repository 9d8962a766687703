import * as pulumi from "@pulumi/pulumi";
import {
  dynamicProvider,
  registerEnvironment,
  resourceInputs,
  type ManagedBy,
  pauseStackTraces,
} from "./provider";

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
  /** Take over an environment that already exists instead of failing on it. */
  adopt?: pulumi.Input<boolean>;
}

/**
 * A project's instance in one domain, with its own quota, defaults, secrets and roles.
 *
 * @example
 * const webProd = new tenancy.Environment("web-production", { project: web.name, domain: production.name, protected: true });
 */
export class Environment extends pulumi.dynamic.Resource {
  declare readonly project: pulumi.Output<string>;
  declare readonly domain: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  declare readonly description: pulumi.Output<string | undefined>;
  declare readonly labels: pulumi.Output<Record<string, string> | undefined>;
  declare readonly protected: pulumi.Output<boolean | undefined>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;
  /** The resource that manages the object (this one, once created), or null when made by hand. */
  declare readonly managedBy: pulumi.Output<ManagedBy | null>;

  constructor(name: string, args: EnvironmentArgs, opts?: pulumi.CustomResourceOptions) {
    const inputs = resourceInputs("Environment", name, args, opts);
    const restoreStackTraces = pauseStackTraces();
    try {
      super(
        dynamicProvider("environment"),
        name,
        {
          ...inputs,
          name: undefined,
          description: undefined,
          labels: undefined,
          protected: undefined,
          ...args,
          version: undefined,
          createdAt: undefined,
          updatedAt: undefined,
        },
        // The engine checks `protect` when it plans, in preview too; the control plane's own refusal
        // only comes when the delete is sent, after the environment's dependents are gone.
        args.protected === true ? pulumi.mergeOptions(opts, { protect: true }) : opts,
        "tenancy",
        "Environment",
      );
    } finally {
      restoreStackTraces();
    }
    registerEnvironment(this.name, this, inputs.managedBy);
  }
}
