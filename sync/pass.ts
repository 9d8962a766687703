// One sync pass: what is placed on the cluster (one snapshot read) against what sync manages there
// (one list per kind); creates, changes and deletes what differs, and reports each environment's
// state. A pass interrupted anywhere is finished by the next: every write is an idempotent apply
// or delete of a named object.
import type { TenancyClient } from "../client";
import {
  revealBatchLimit,
  type ClusterSnapshot,
  type PlacedEnvironment,
  type QuotaUsage,
  type SecretsReveal,
  type SecretsRevealed,
} from "../model";
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
  /** When the first role binding this pass rendered expires (ms since the epoch): from then on its
   * subject must lose what the binding gave, and nothing in the change feed says so. */
  nextExpiry?: number;
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
async function inPool<T, R>(items: T[], size: number, work: (item: T, index: number) => Promise<R>) {
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

type SecretAddress = SecretsReveal["secrets"][number];
type Revealed = SecretsRevealed["secrets"][number];
const addressKey = (a: SecretAddress) => `${a.project}/${a.environment}/${a.name}`;

/** The Secret's value as the cluster has it (base64), when it is the binding's version. */
function valueInCluster(object: KubeObject, current: KubeObject | undefined): string | undefined {
  const version = object.metadata.annotations?.[valueVersionAnnotation];
  const data = current?.data as Record<string, string> | undefined;
  return current?.metadata.annotations?.[valueVersionAnnotation] === version
    ? data?.value || undefined
    : undefined;
}

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
  // Every namespace, sync's or not: one list tells which are new (nothing of anyone's can be in
  // them, so nothing there needs reading) and which someone else made.
  const namespaces = new Map((await kube.listNamespaces()).map((ns) => [ns.metadata.name, ns]));
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
  const revealed = options.dryRun
    ? new Map<string, Revealed>()
    : await reveal(rendered.flatMap(valuesToReveal));
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
          const found =
            object.kind === "Namespace" ? namespaces.get(object.metadata.name) : await kube.read(object);
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

  /** The Secrets whose value is not in the cluster at the binding's version. */
  function valuesToReveal(env: RenderedEnvironment): SecretAddress[] {
    return env.objects
      .filter(
        (object) =>
          object.kind === "Secret" && valueInCluster(object, existing.get(identityOf(object))) === undefined,
      )
      .map((object) => ({ project: env.project, environment: env.environment, name: object.metadata.name }));
  }

  /** Reveals values, revealBatchLimit to a request: a cold pass asks for all it needs at once. */
  async function reveal(addresses: SecretAddress[]) {
    const answers = new Map<string, Revealed>();
    for (let at = 0; at < addresses.length; at += revealBatchLimit) {
      const { secrets } = await api.secrets.revealMany(addresses.slice(at, at + revealBatchLimit));
      for (const answer of secrets) answers.set(addressKey(answer), answer);
    }
    return answers;
  }

  /** The Secret with its data: the value already there when its version is the binding's, else the
   * value revealed (in a dry run, never revealed). */
  async function withSecretValue(
    env: RenderedEnvironment,
    object: KubeObject,
    current: KubeObject | undefined,
  ) {
    const inCluster = valueInCluster(object, current);
    if (inCluster !== undefined) return { ...object, data: { value: inCluster } };
    if (options.dryRun) return { ...object, data: { value: "" } };
    const address = { project: env.project, environment: env.environment, name: object.metadata.name };
    // Found by a read rather than in the pass's lists (made meanwhile): revealed now.
    const answer = revealed.get(addressKey(address)) ?? (await reveal([address])).get(addressKey(address));
    if (answer === undefined || "error" in answer) {
      throw new Error(`secret ${object.metadata.name}: ${answer?.error.detail ?? "not revealed"}`);
    }
    if (answer.value === undefined) throw new Error(`secret ${object.metadata.name} has no value to reveal`);
    return { ...object, data: { value: Buffer.from(answer.value, "utf8").toString("base64") } };
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
  const nextExpiry = firstExpiry(read);
  return {
    revision: read.revision,
    environments,
    writes,
    released,
    ...(nextExpiry !== undefined ? { nextExpiry } : {}),
  };
}

/** The earliest `expiresAt` of the snapshot's role bindings, in ms since the epoch. */
export function firstExpiry(snapshot: ClusterSnapshot): number | undefined {
  let first: number | undefined;
  for (const env of snapshot.environments) {
    for (const binding of env.roleBindings) {
      if (binding.expiresAt === undefined) continue;
      const at = Date.parse(binding.expiresAt);
      if (first === undefined || at < first) first = at;
    }
  }
  return first;
}
