// One sync pass: what is placed on the cluster (one snapshot read) against what sync manages there
// (one list per kind); creates, changes and deletes what differs, and reports each environment's
// state. A pass interrupted anywhere is finished by the next: every write is an idempotent apply
// or delete of a named object.
import type { TenancyClient } from "../client";
import type { ClusterSnapshot, PlacedEnvironment, QuotaUsage } from "../model";
import { upToDate } from "./compare";
import { describeKubeError, identityOf, managedKinds, type KubeClient } from "./kube";
import type { SyncOptions } from "./options";
import {
  clusterLabel,
  managedByLabel,
  managedByValue,
  orphanedLabel,
  quotaName,
  renderEnvironment,
  valueVersionAnnotation,
  type KubeObject,
  type RenderedEnvironment,
} from "./render";

export type Phase = "synced" | "conflict" | "error";

export interface EnvironmentOutcome {
  project: string;
  environment: string;
  namespace: string;
  phase: Phase;
  message?: string;
  usage?: QuotaUsage;
  /** Objects written for it in this pass. */
  writes: number;
  /** What was last reported of it, as the pass's snapshot read it. */
  reported?: PlacedEnvironment["reported"];
}

/** A write a pass makes (or, in a dry run, would make). */
export interface PlannedWrite {
  action: "create" | "change" | "delete" | "orphan";
  object: string;
}

export interface PassResult {
  revision: number;
  environments: EnvironmentOutcome[];
  writes: PlannedWrite[];
  /** Environments whose namespace sync gave up (deleted or orphaned) in this pass. */
  released: { project: string; environment: string }[];
}

export interface PassDeps {
  api: TenancyClient;
  kube: KubeClient;
  options: SyncOptions;
  /** Told of each write as it is made; the resource versions sync wrote are not hand edits. */
  onWrite?: (write: PlannedWrite, result?: KubeObject) => void;
}

/** Environments written at once: the apiserver takes concurrent applies well; one at a time, a
 * cold pass is a round trip per object. */
const environmentsAtOnce = 16;

/** `work` over `items`, at most `size` at once, the results in the items' order. */
export async function inPool<T, R>(items: T[], size: number, work: (item: T, index: number) => Promise<R>) {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return results;
}

const labelsOf = (object: KubeObject) => object.metadata.labels ?? {};
/** The labels sync puts on what it makes. */
const ownLabels = (labels: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(labels).filter(([k]) => k === managedByLabel || k.startsWith("tenancy.dev/")),
  );
const isManagedFor = (object: KubeObject, cluster: string) =>
  labelsOf(object)[managedByLabel] === managedByValue && labelsOf(object)[clusterLabel] === cluster;

/** The ResourceQuota's `status.used`, in the quota's dimensions. */
function usageOf(quota: KubeObject | undefined, gpuResource: string): QuotaUsage | undefined {
  const used = (quota?.status as { used?: Record<string, string> } | undefined)?.used;
  if (!used) return undefined;
  return {
    cpu: used["requests.cpu"] ?? "0",
    memory: used["requests.memory"] ?? "0",
    gpu: used[`requests.${gpuResource}`] ?? "0",
    storage: used["requests.storage"] ?? "0",
    executions: Number(used.pods ?? 0),
  };
}

export async function runPass(deps: PassDeps, snapshot?: ClusterSnapshot): Promise<PassResult> {
  const { api, kube, options } = deps;
  const read = snapshot ?? (await api.clusters.snapshot(options.cluster));
  const rendered = read.environments.map((env) => renderEnvironment(env, options));
  const existing = new Map<string, KubeObject>();
  for (const kind of managedKinds) {
    for (const object of await kube.listManaged(kind)) existing.set(identityOf(object), object);
  }
  const writes: PlannedWrite[] = [];
  const write = async (
    action: PlannedWrite["action"],
    object: KubeObject,
    apply: () => Promise<KubeObject | void>,
  ) => {
    const planned = { action, object: identityOf(object) };
    writes.push(planned);
    if (options.dryRun) return;
    const result = await apply();
    deps.onWrite?.(planned, result ?? undefined);
  };

  const desired = new Set(rendered.flatMap((env) => env.objects.map(identityOf)));
  // Environments are independent of each other: several are written at once.
  const environments = await inPool(rendered, environmentsAtOnce, async (env, i) => {
    const reported = read.environments[i]!.reported;
    return { ...(await syncEnvironment(env)), ...(reported ? { reported } : {}) };
  });

  async function syncEnvironment(env: RenderedEnvironment): Promise<EnvironmentOutcome> {
    const problems: string[] = [];
    const conflicts: string[] = [];
    let written = 0;
    // In a namespace that did not exist, nothing of anyone else's can be in the way.
    let freshNamespace = false;
    try {
      for (const object of env.objects) {
        const id = identityOf(object);
        let current = existing.get(id);
        if (!current && !freshNamespace) {
          // Not ours, as far as the label says: a same-named object someone else made is theirs.
          const found = await kube.read(object);
          if (found && !isManagedFor(found, options.cluster)) {
            conflicts.push(
              `${object.kind} ${object.metadata.name} exists and was not made by tenancy sync for this cluster: left alone`,
            );
            if (object.kind === "Namespace") break; // nothing of this environment goes into it
            continue;
          }
          current = found;
          if (object.kind === "Namespace" && !found) freshNamespace = true;
        }
        const toApply = object.kind === "Secret" ? await withSecretValue(env, object, current) : object;
        const orphanedNow = current !== undefined && labelsOf(current)[orphanedLabel] !== undefined;
        if (current && !orphanedNow && upToDate(current, toApply)) continue;
        await write(current ? "change" : "create", object, () => kube.apply(toApply));
        written++;
      }
    } catch (err) {
      problems.push(describeKubeError(err));
    }
    const quota = existing.get(
      identityOf({ kind: "ResourceQuota", metadata: { name: quotaName, namespace: env.namespace } }),
    );
    const usage = usageOf(quota, options.gpuResource);
    const phase: Phase = problems.length > 0 ? "error" : conflicts.length > 0 ? "conflict" : "synced";
    const message = [...problems, ...conflicts, ...env.notes].join("; ");
    return {
      project: env.project,
      environment: env.environment,
      namespace: env.namespace,
      phase,
      ...(message ? { message: message.slice(0, 2000) } : {}),
      ...(usage ? { usage } : {}),
      writes: written,
    };
  }

  /** The Secret with its data: the value already there when its version is the binding's, else the
   * value revealed now (in a dry run, never revealed). */
  async function withSecretValue(
    env: RenderedEnvironment,
    object: KubeObject,
    current: KubeObject | undefined,
  ) {
    const version = object.metadata.annotations?.[valueVersionAnnotation];
    const data = current?.data as Record<string, string> | undefined;
    if (current && current.metadata.annotations?.[valueVersionAnnotation] === version && data?.value) {
      return { ...object, data: { value: data.value } };
    }
    if (options.dryRun) return { ...object, data: { value: "" } };
    const revealed = await api.secrets.reveal(env.project, env.environment, object.metadata.name);
    if (revealed.value === undefined)
      throw new Error(`secret ${object.metadata.name} has no value to reveal`);
    return { ...object, data: { value: Buffer.from(revealed.value, "utf8").toString("base64") } };
  }

  // What sync made that nothing declares any more: objects first, then their namespaces.
  const released: PassResult["released"] = [];
  const stale = [...existing.values()].filter((object) => !desired.has(identityOf(object)));
  for (const object of stale.filter((o) => o.kind !== "Namespace")) {
    await write("delete", object, () => kube.remove(object));
  }
  for (const namespace of stale.filter((o) => o.kind === "Namespace")) {
    const labels = labelsOf(namespace);
    const project = labels["tenancy.dev/project"];
    const environment = labels["tenancy.dev/environment"];
    if (options.deleteNamespaces) {
      await write("delete", namespace, () => kube.remove(namespace));
    } else if (labels[orphanedLabel] === undefined) {
      await write("orphan", namespace, () =>
        kube.apply({
          apiVersion: "v1",
          kind: "Namespace",
          // What it was for stays said; the orphan label says nothing declares it any more.
          metadata: {
            name: namespace.metadata.name,
            labels: { ...ownLabels(labels), [orphanedLabel]: "true" },
          },
        }),
      );
    } else continue;
    if (project !== undefined && environment !== undefined) released.push({ project, environment });
  }
  return { revision: read.revision, environments, writes, released };
}
