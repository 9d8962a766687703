// What the serialized provider object in the state calls. The engine configures each provider
// object before any other call, so the object in the state needs only `configure`, which installs
// its kind's implementation onto it: the state carries a few hundred bytes per resource instead of
// a serialized wrapper for every method.
import type * as pulumi from "@pulumi/pulumi";
import { configure } from "./config";
import { domainProvider } from "./domain";
import { environmentProvider } from "./environment";
import { projectProvider } from "./project";
import { quotaProvider } from "./quota";
import { resourceDefaultsProvider } from "./resource-defaults";
import { roleBindingProvider } from "./role-binding";
import { secretBindingProvider } from "./secret-binding";
import { teamProvider } from "./team";
import { teamMemberProvider } from "./team-member";
import { apiTokenProvider } from "./api-token";

const implementations = {
  domain: domainProvider,
  project: projectProvider,
  environment: environmentProvider,
  quota: quotaProvider,
  "resource-defaults": resourceDefaultsProvider,
  "secret-binding": secretBindingProvider,
  "role-binding": roleBindingProvider,
  team: teamProvider,
  "team-member": teamMemberProvider,
  "api-token": apiTokenProvider,
};

export type ProviderKind = keyof typeof implementations;

const methods = ["check", "diff", "create", "read", "update", "delete"] as const;

/** Gives `target`, the provider object the engine deserialized, the methods of `kind`, then
 * applies the stack's configuration. */
export async function install(
  target: object,
  kind: ProviderKind,
  req: pulumi.dynamic.ConfigureRequest,
): Promise<void> {
  const implementation = implementations[kind] as unknown as Record<string, unknown>;
  if (!implementation) throw new Error(`tenancy: no provider for kind ${JSON.stringify(kind)}`);
  for (const method of methods) Object.assign(target, { [method]: implementation[method] });
  await configure(req);
}
