// What every resource class shares: the kind's provider object, its inputs (every input and output
// the kinds registry names, so the engine tracks each even when unset), its type token, and the
// owner and preview marker the provider's hooks need.
import * as pulumi from "@pulumi/pulumi";
import { kindRegistry, type KindName } from "../model/kinds";
import {
  dynamicProvider,
  environmentResource,
  pauseStackTraces,
  resourceInputs,
  type ManagedBy,
} from "./provider";

/** The inputs beside the object's own fields, and the options, as a kind's class prepares them. */
export interface Prepared {
  inputs: ReturnType<typeof resourceInputs>;
  opts: pulumi.CustomResourceOptions | undefined;
}

/** A resource of one of tenancy's kinds. */
export abstract class TenancyResource extends pulumi.dynamic.Resource {
  /** The resource that manages the object (this one, once created), or null when made by hand. */
  declare readonly managedBy: pulumi.Output<ManagedBy | null>;

  /** What a resource of `kind` passes beside its fields. */
  protected static prepare(
    kind: KindName,
    name: string,
    args: object,
    opts: pulumi.CustomResourceOptions | undefined,
  ): Prepared {
    return { inputs: resourceInputs(kind, name, args, opts), opts };
  }

  /** What a resource inside one environment passes: it goes with that environment when given its
   * Environment's `name` output (environmentResource). */
  protected static prepareInEnvironment(
    kind: KindName,
    name: string,
    args: { environment?: pulumi.Input<string> },
    opts: pulumi.CustomResourceOptions | undefined,
  ): Prepared {
    return environmentResource(kind, name, args, opts);
  }

  protected constructor(kind: KindName, name: string, args: object, prepared: Prepared) {
    const entry = kindRegistry[kind];
    const unset = (fields: readonly string[]) =>
      Object.fromEntries(fields.map((field) => [field, undefined]));
    const restoreStackTraces = pauseStackTraces();
    try {
      super(
        dynamicProvider(entry.module),
        name,
        { ...prepared.inputs, ...unset(entry.inputs), ...args, ...unset(entry.outputs) },
        prepared.opts,
        "tenancy",
        kind,
      );
    } finally {
      restoreStackTraces();
    }
  }
}
