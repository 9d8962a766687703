// `tenancy sync`: keeps one Kubernetes cluster in step with the control plane.
import pino from "pino";
import type { TenancyClient } from "../client";
import { parseOrThrow } from "../model";
import { kubeClient, loadKubeConfig } from "../sync/kube";
import { syncOptionsSchema } from "../sync/options";
import { exitCodes, syncForever, syncOnce } from "../sync/run";

export interface SyncFlags {
  cluster: string;
  kubeconfig?: string;
  context?: string;
  once?: boolean;
  dryRun?: boolean;
  namespaceTemplate?: string;
  gpuResource?: string;
  userPrefix?: string;
  groupPrefix?: string;
  secretStore?: string;
  leaseNamespace?: string;
  deleteNamespaces?: boolean;
  resync?: number;
}

/** Runs sync with `flags`; resolves to the process's exit code. */
export async function runSync(api: TenancyClient, flags: SyncFlags): Promise<number> {
  if (flags.dryRun && !flags.once)
    throw new Error("--dry-run needs --once: it prints one pass and writes nothing");
  const options = parseOrThrow(
    syncOptionsSchema,
    {
      cluster: flags.cluster,
      namespaceTemplate: flags.namespaceTemplate,
      gpuResource: flags.gpuResource,
      userPrefix: flags.userPrefix,
      groupPrefix: flags.groupPrefix,
      secretStore: flags.secretStore,
      leaseNamespace: flags.leaseNamespace,
      deleteNamespaces: flags.deleteNamespaces ?? false,
      resyncSeconds: flags.resync,
      dryRun: flags.dryRun ?? false,
    },
    "sync options",
  );
  const log = pino(
    { level: process.env.TENANCY_LOG_LEVEL ?? "info", base: { cluster: flags.cluster } },
    pino.destination(2),
  );
  let kube;
  try {
    kube = kubeClient(loadKubeConfig(flags), flags.cluster);
  } catch (err) {
    log.error({ err: (err as Error).message }, "cannot load the kubeconfig");
    return exitCodes.unreachable;
  }
  const deps = { api, kube, options, log };
  if (flags.once) return syncOnce(deps, (line) => void process.stdout.write(`${line}\n`));
  const stop = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => stop.abort());
  await syncForever(deps, stop.signal);
  return exitCodes.synced;
}
