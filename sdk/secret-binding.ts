import * as pulumi from "@pulumi/pulumi";
import { TenancyResource } from "./resource";

/** The arguments of a {@link SecretBinding}: exactly one of `value` and `reference`. */
export interface SecretBindingArgs {
  project: pulumi.Input<string>;
  environment: pulumi.Input<string>;
  name: pulumi.Input<string>;
  /** The secret itself (pass a Pulumi secret); encrypted at rest, never returned by the API. */
  value?: pulumi.Input<string>;
  /** Where the secret lives instead: `vault://…`, `aws-sm://…`. */
  reference?: pulumi.Input<string>;
  description?: pulumi.Input<string>;
  adopt?: pulumi.Input<boolean>;
}

/**
 * A secret made available to one environment.
 *
 * @example
 * new tenancy.SecretBinding("web-production-db", { project: "web", environment: "production", name: "db-password", value: config.requireSecret("dbPassword") });
 */
export class SecretBinding extends TenancyResource {
  declare readonly project: pulumi.Output<string>;
  declare readonly environment: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;
  /** Always a secret output. */
  declare readonly value: pulumi.Output<string | undefined>;
  declare readonly reference: pulumi.Output<string | undefined>;
  declare readonly description: pulumi.Output<string | undefined>;
  /** Rises with every new value or reference. */
  declare readonly valueVersion: pulumi.Output<number>;
  declare readonly version: pulumi.Output<number>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: SecretBindingArgs, opts?: pulumi.CustomResourceOptions) {
    const value = args.value === undefined ? undefined : pulumi.secret(args.value);
    const prepared = TenancyResource.prepareInEnvironment("SecretBinding", name, args, opts);
    super(
      "SecretBinding",
      name,
      { ...args, value },
      {
        ...prepared,
        opts: pulumi.mergeOptions(prepared.opts, { additionalSecretOutputs: ["value"] }),
      },
    );
  }
}
