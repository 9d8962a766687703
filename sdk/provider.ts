// The dynamic provider object of each kind. Everything a provider object holds is serialized into
// the state of every resource, so it holds one method: the engine calls `configure` before any
// other method, and configure installs the kind's implementation, loaded by module path in the
// provider process. No credential is part of it (those reach the provider through configure or
// the environment).
import * as pulumi from "@pulumi/pulumi";
import type { ManagedBy } from "../model";
import { typeToken, type KindModule, type KindName } from "../model/kinds";

const providers = new Map<KindModule, pulumi.dynamic.ResourceProvider>();

/**
 * The provider object of one kind. One object per kind: the SDK serializes each provider object
 * once per program, so sharing it keeps a large program from serializing it for every resource.
 */
export function dynamicProvider(kind: KindModule): pulumi.dynamic.ResourceProvider {
  let provider = providers.get(kind);
  if (!provider) {
    provider = {
      async configure(req) {
        await require("tenancy/dist/provider/install").install(this, kind, req);
      },
    } as pulumi.dynamic.ResourceProvider; // create and the rest arrive with configure
    providers.set(kind, provider);
  }
  return provider;
}

export type { ManagedBy };

/**
 * The URN a resource of `kind` named `name` gets, computed before registration: the provider's
 * hooks are not given the URN (pulumi#9434), and the control plane records it as the object's
 * manager, so a rerun, a retry or a replacement of the same resource is known as the same owner.
 */
export function ownerOf(
  kind: KindName,
  name: string,
  opts: pulumi.CustomResourceOptions | undefined,
): pulumi.Input<ManagedBy> {
  const stack = pulumi.getStack();
  const type = typeToken(kind);
  const urn = (qualifiedType: string) =>
    `urn:pulumi:${stack}::${pulumi.getProject()}::${qualifiedType}::${name}`;
  if (!opts?.parent) return { stack, urn: urn(type) };
  // A child's type is qualified by its parent's: urn:pulumi:s::p::parent$child::name.
  return pulumi.output(opts.parent.urn).apply((parentUrn) => {
    const parentType = parentUrn.split("::")[2] ?? "";
    return { stack, urn: urn(parentType === "pulumi:pulumi:Stack" ? type : `${parentType}$${type}`) };
  });
}

/**
 * What every resource passes beside its object's fields: its owner, whether the program runs as a
 * preview (the provider's hooks cannot tell, and dry-run only then), and which of its inputs come
 * from other resources (an object the same run creates first cannot be judged by a dry run yet).
 */
export function resourceInputs(
  kind: KindName,
  name: string,
  args: object,
  opts: pulumi.CustomResourceOptions | undefined,
) {
  return {
    managedBy: ownerOf(kind, name, opts),
    // One input for both: the SDK spends several promises and stack traces on every property.
    __tenancy: {
      preview: pulumi.runtime.isDryRun(),
      references: Object.entries(args)
        .filter(([, value]) => holdsOutput(value))
        .map(([key]) => key),
    },
  };
}

/** Whether an input is, or holds, another resource's output (`clusters: [eu.name]`). */
function holdsOutput(value: unknown): boolean {
  if (pulumi.Output.isInstance(value)) return true;
  return Array.isArray(value) && value.some(holdsOutput);
}

function isPlain<T>(value: pulumi.Input<T>): value is T {
  return !pulumi.Output.isInstance(value) && !(value instanceof Promise);
}

/** Each Environment's `name` output, for the resources given it as their `environment`. */
const environments = new WeakMap<object, { resource: pulumi.Resource; owner: pulumi.Input<ManagedBy> }>();

export function registerEnvironment(
  name: pulumi.Output<string>,
  resource: pulumi.Resource,
  owner: pulumi.Input<ManagedBy>,
) {
  environments.set(name, { resource, owner });
}

/**
 * The inputs and options of a resource inside one environment. Given the `name` output of an
 * Environment of this program, it goes with that environment: Pulumi skips its own delete when
 * the environment is deleted in the same run (`deletedWith`), and the control plane deletes it with
 * the environment, in one transaction. So a run that removes an environment deletes nothing of it
 * when the environment's delete is refused (protected, or with live reservations).
 */
export function environmentResource(
  kind: KindName,
  name: string,
  args: { environment?: pulumi.Input<string> },
  opts: pulumi.CustomResourceOptions | undefined,
) {
  const inputs = resourceInputs(kind, name, args, opts);
  const environment = pulumi.Output.isInstance(args.environment)
    ? environments.get(args.environment)
    : undefined;
  if (environment === undefined) return { inputs, opts };
  const withEnvironment = (own: ManagedBy, env: ManagedBy): ManagedBy => ({ ...own, deletedWith: env.urn });
  const [own, env] = [inputs.managedBy, environment.owner];
  return {
    inputs: {
      ...inputs,
      // Computed in place when both are known (no parent): an Output costs the SDK a few promises.
      managedBy:
        isPlain(own) && isPlain(env)
          ? withEnvironment(own, env)
          : pulumi.all([own, env]).apply(([o, e]) => withEnvironment(o, e)),
    },
    opts: pulumi.mergeOptions(opts, { deletedWith: environment.resource }),
  };
}

/**
 * Turns off stack traces until the returned function runs. The SDK takes a stack trace for every
 * promise it makes for a property (kept only for its promise-leak report), and formatting each
 * one through the program's source maps is most of what constructing a resource costs. The
 * resource's source position is not affected: the SDK raises the limit itself to take it.
 */
export function pauseStackTraces(): () => void {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return () => {
    Error.stackTraceLimit = limit;
  };
}
