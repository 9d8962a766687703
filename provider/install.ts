// What the serialized provider object in the state calls. The engine configures each provider
// object before any other call, so the object in the state needs only `configure`, which installs
// its kind's implementation onto it: the state carries a few hundred bytes per resource instead of
// a serialized wrapper for every method.
import type * as pulumi from "@pulumi/pulumi";
import type { KindModule } from "../model";
import { closeClient, configure } from "./config";
import { exitWhenEngineGone } from "./engine-watch";
import { clusterProvider } from "./cluster";
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

const implementations: Record<KindModule, unknown> = {
  domain: domainProvider,
  cluster: clusterProvider,
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

const methods = ["check", "diff", "create", "read", "update", "delete"] as const;

// The dynamic-provider host prints every failure to stderr (`${err}: ${err.stack}`) and then returns
// it to the engine, which prints it again: a failure's own text marks it, and that first copy is
// dropped, so each failure is said once, without a stack trace.
const alreadyReported = "\u0000tenancy: reported through the engine";
let stderrFiltered = false;
function reportOnce(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (!stderrFiltered) {
    stderrFiltered = true;
    const print = console.error.bind(console);
    console.error = (...args: unknown[]) => {
      if (typeof args[0] === "string" && args[0].startsWith(alreadyReported)) return;
      print(...args);
    };
  }
  err.toString = () => alreadyReported;
  return err;
}

/** Gives `target`, the provider object the engine deserialized, the methods of `kind`, then
 * applies the stack's configuration. */
export async function install(
  target: object,
  kind: KindModule,
  req: pulumi.dynamic.ConfigureRequest,
): Promise<void> {
  const implementation = implementations[kind] as unknown as Record<string, unknown>;
  if (!implementation) throw new Error(`tenancy: no provider for kind ${JSON.stringify(kind)}`);
  for (const method of methods) {
    const call = implementation[method] as (...args: unknown[]) => Promise<unknown>;
    Object.assign(target, {
      [method]: async (...args: unknown[]) => {
        try {
          return await call(...args);
        } catch (err) {
          throw reportOnce(err);
        }
      },
    });
  }
  exitWhenEngineGone(closeClient);
  await configure(req);
}
