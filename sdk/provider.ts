// The dynamic provider object of each kind. Everything a provider object captures is serialized
// into the state of every resource, so its methods load the implementation by module path when
// the provider process calls them, and capture nothing else: a few hundred bytes per resource and
// no credentials (those reach the implementation through configure or the environment).
import type * as pulumi from "@pulumi/pulumi";

const providers = new Map<string, pulumi.dynamic.ResourceProvider>();

/**
 * The provider of one kind, implemented by `tenancy/dist/provider/<module>`'s `<name>Provider`.
 * One object per kind: the SDK serializes each provider object once, so sharing it keeps a large
 * program from serializing the same code for every resource.
 */
export function dynamicProvider(module: string, name: string): pulumi.dynamic.ResourceProvider {
  let provider = providers.get(module);
  if (!provider) {
    provider = createProvider(module, name);
    providers.set(module, provider);
  }
  return provider;
}

function createProvider(module: string, name: string): pulumi.dynamic.ResourceProvider {
  const path = `tenancy/dist/provider/${module}`;
  const impl = () => require(path)[`${name}Provider`];
  return {
    configure: (req) => require("tenancy/dist/provider/config").configure(req),
    check: (olds, news) => impl().check(olds, news),
    diff: (id, olds, news) => impl().diff(id, olds, news),
    create: (inputs) => impl().create(inputs),
    read: (id, props) => impl().read(id, props),
    update: (id, olds, news) => impl().update(id, olds, news),
    delete: (id, props) => impl().delete(id, props),
  };
}
