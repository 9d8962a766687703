// The Kubernetes side of sync, through @kubernetes/client-node: reads what sync manages, writes by
// server-side apply with field manager `tenancy`, deletes, and watches.
import { createHash } from "node:crypto";
import type * as https from "node:https";
import {
  ApiException,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  Watch,
  type KubernetesObject,
  type RequestContext,
} from "@kubernetes/client-node";
import { clusterLabel, managedByLabel, managedByValue, type KubeObject } from "./render";

export const fieldManager = "tenancy";

/** The kinds sync writes, namespaces first: what it lists, watches and prunes. */
export const managedKinds = [
  { apiVersion: "v1", kind: "Namespace", path: "/api/v1/namespaces", namespaced: false },
  { apiVersion: "v1", kind: "ResourceQuota", path: "/api/v1/resourcequotas", namespaced: true },
  { apiVersion: "v1", kind: "LimitRange", path: "/api/v1/limitranges", namespaced: true },
  { apiVersion: "v1", kind: "Secret", path: "/api/v1/secrets", namespaced: true },
  {
    apiVersion: "external-secrets.io/v1",
    kind: "ExternalSecret",
    path: "/apis/external-secrets.io/v1/externalsecrets",
    namespaced: true,
    optional: true,
  },
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "RoleBinding",
    path: "/apis/rbac.authorization.k8s.io/v1/rolebindings",
    namespaced: true,
  },
] as const;

/**
 * The client's models name a field as TypeScript may (a LimitRange item's `default` is `_default`)
 * and write only the fields they know by those names: objects cross into the client renamed, and
 * come back with the API's names, so what sync compares and applies is the API's JSON.
 */
function renameLimitDefaults(object: KubeObject, from: string, to: string): KubeObject {
  if (object.kind !== "LimitRange") return object;
  const spec = object.spec as { limits?: Record<string, unknown>[] } | undefined;
  if (!spec?.limits) return object;
  const limits = spec.limits.map((item) => {
    if (!(from in item)) return item;
    const { [from]: value, ...rest } = item;
    return { ...rest, [to]: value };
  });
  return { ...object, spec: { ...spec, limits } };
}
const toClient = (object: KubeObject) => renameLimitDefaults(object, "default", "_default");
const fromClient = (object: KubeObject) =>
  renameLimitDefaults(JSON.parse(JSON.stringify(object)) as KubeObject, "_default", "default");

/** What one cluster's sync manages. */
export const managedSelector = (cluster: string) =>
  `${managedByLabel}=${managedByValue},${clusterLabel}=${cluster}`;

/** An object's identity: kind, namespace and name. */
export function identityOf(object: Pick<KubeObject, "kind" | "metadata">): string {
  return `${object.kind}/${object.metadata.namespace ?? ""}/${object.metadata.name}`;
}

/** Whether an error means the cluster could not be reached at all (not an answer from it). */
export function isUnreachable(err: unknown): boolean {
  if (err instanceof ApiException) return err.code >= 500 || err.code === 0;
  return true;
}

export function statusOf(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

/** What the apiserver said, in one line: its Status message when it sent one. */
export function describeKubeError(err: unknown): string {
  if (err instanceof ApiException) {
    const body = typeof err.body === "string" ? safeJson(err.body) : err.body;
    const message = (body as { message?: string } | undefined)?.message;
    return `${err.code}: ${message ?? String(err.body).slice(0, 300)}`;
  }
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

type Dispatcher = NonNullable<ReturnType<RequestContext["getDispatcher"]>>;

/**
 * A KubeConfig whose requests share connections. client-node gives every request a dispatcher of
 * its own, so each one opened a TLS connection (a handshake on both ends, a fresh secure context):
 * most of a cold pass's time went there. Dispatchers are kept per TLS setting, so credentials that
 * rotate (an exec plugin's client certificate) still get their own connections.
 */
export class ConnectionSharingKubeConfig extends KubeConfig {
  readonly #dispatchers = new Map<string, Dispatcher>();

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    await super.applySecurityAuthentication(context);
    const made = context.getDispatcher();
    if (made === undefined) return;
    const tls: https.RequestOptions = {};
    await this.applyToHTTPSOptions(tls);
    const { ca, cert, key, pfx, passphrase, rejectUnauthorized, servername } = tls as https.AgentOptions;
    const setting = createHash("sha256")
      .update(
        JSON.stringify([
          this.getCurrentCluster()?.server,
          this.getCurrentCluster()?.proxyUrl,
          [ca, cert, key, pfx].map((part) => (part === undefined ? null : String(part))),
          passphrase,
          rejectUnauthorized,
          servername,
        ]),
      )
      .digest("hex");
    const shared = this.#dispatchers.get(setting);
    if (shared === undefined) this.#dispatchers.set(setting, made);
    else context.setDispatcher(shared);
  }
}

export function loadKubeConfig(options: { kubeconfig?: string; context?: string }): KubeConfig {
  const kc = new ConnectionSharingKubeConfig();
  if (options.kubeconfig !== undefined) kc.loadFromFile(options.kubeconfig);
  else kc.loadFromDefault();
  if (options.context !== undefined) kc.setCurrentContext(options.context);
  if (!kc.getCurrentCluster()) throw new Error("the kubeconfig names no current cluster");
  return kc;
}

/** The cluster `kc` points at, as tenancy cluster `cluster`. */
export function kubeClient(kc: KubeConfig, cluster: string) {
  const objects = KubernetesObjectApi.makeApiClient(kc);
  return {
    config: kc,
    /** Every object of `kind` carrying sync's label (none when the kind is not served). */
    async listManaged(kind: (typeof managedKinds)[number]): Promise<KubeObject[]> {
      try {
        const list = await objects.list(
          kind.apiVersion,
          kind.kind,
          undefined,
          undefined,
          undefined,
          undefined,
          undefined,
          managedSelector(cluster),
        );
        return list.items.map((item) =>
          fromClient({ ...(item as KubeObject), apiVersion: kind.apiVersion, kind: kind.kind }),
        );
      } catch (err) {
        // A CRD that is not installed: nothing of that kind to manage.
        if (
          "optional" in kind &&
          kind.optional &&
          (statusOf(err) === 404 || /resource .* not found|Unrecognized API/i.test(String(err)))
        ) {
          return [];
        }
        throw err;
      }
    },
    /** Every namespace in the cluster, whoever made it. */
    async listNamespaces(): Promise<KubeObject[]> {
      const list = await objects.list("v1", "Namespace");
      return list.items.map((item) => ({ ...(item as KubeObject), apiVersion: "v1", kind: "Namespace" }));
    },
    /** The object by its identity, or undefined. */
    async read(object: KubeObject): Promise<KubeObject | undefined> {
      try {
        const found = await objects.read(object as KubernetesObject & { metadata: { name: string } });
        return fromClient({ ...(found as KubeObject), apiVersion: object.apiVersion, kind: object.kind });
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    /** Server-side apply as `tenancy`, taking over fields others changed by hand. */
    async apply(object: KubeObject): Promise<KubeObject> {
      const applied = await objects.patch(
        toClient(object) as KubernetesObject,
        undefined,
        undefined,
        fieldManager,
        true,
        PatchStrategy.ServerSideApply,
      );
      return fromClient(applied as KubeObject);
    },
    async remove(object: KubeObject): Promise<void> {
      try {
        await objects.delete(
          object as KubernetesObject,
          undefined,
          undefined,
          undefined,
          undefined,
          "Background",
        );
      } catch (err) {
        if (statusOf(err) !== 404) throw err;
      }
    },
    /** Watches what sync manages of `kind`; `onEvent` gets each change, `onEnd` when the watch ends. */
    async watch(
      kind: (typeof managedKinds)[number],
      onEvent: (type: string, object: KubeObject) => void,
      onEnd: (err: unknown) => void,
    ): Promise<AbortController> {
      return new Watch(kc).watch(
        kind.path,
        { labelSelector: managedSelector(cluster), allowWatchBookmarks: false },
        (type, object: KubeObject) =>
          onEvent(type, { ...object, apiVersion: kind.apiVersion, kind: kind.kind }),
        onEnd,
      );
    },
  };
}
export type KubeClient = ReturnType<typeof kubeClient>;
