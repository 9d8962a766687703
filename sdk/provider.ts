// The dynamic provider object of each kind. Everything a provider object holds is serialized into
// the state of every resource, so it holds one method: the engine calls `configure` before any
// other method, and configure installs the kind's implementation, loaded by module path in the
// provider process. No credential is part of it (those reach the provider through configure or
// the environment).
import type * as pulumi from "@pulumi/pulumi";
import type { ProviderKind } from "../provider/install";

const providers = new Map<ProviderKind, pulumi.dynamic.ResourceProvider>();

/**
 * The provider object of one kind. One object per kind: the SDK serializes each provider object
 * once per program, so sharing it keeps a large program from serializing it for every resource.
 */
export function dynamicProvider(kind: ProviderKind): pulumi.dynamic.ResourceProvider {
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
