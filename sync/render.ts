// What the control plane holds, rendered into the Kubernetes objects of the contract's table. Pure:
// the same snapshot and options always give the same objects.
import { resourceKinds, type PlacedEnvironment, type QuotaSpec, type Role } from "../model";
import type { SyncOptions } from "./options";

export const managedByLabel = "app.kubernetes.io/managed-by";
export const managedByValue = "tenancy";
export const orphanedLabel = "tenancy.dev/orphaned";
/** Which tenancy cluster's sync made it: two clusters' syncs on one Kubernetes cluster never touch
 * each other's objects. */
export const clusterLabel = "tenancy.dev/cluster";
/** On a Secret: the version of the binding's value it holds, so an unchanged value is not revealed
 * again. */
export const valueVersionAnnotation = "tenancy.dev/value-version";
/** Everything sync makes is named so, in its namespace. */
export const quotaName = "tenancy";
export const limitRangeName = "tenancy";

/** An object as sync writes it (and the identity sync reads objects by). */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  [field: string]: unknown;
}

/** One environment's objects, the namespace first. */
export interface RenderedEnvironment {
  project: string;
  environment: string;
  namespace: string;
  objects: KubeObject[];
  /** Secret bindings with a value: their Secret's data is the value, revealed only when needed. */
  secretValues: { name: string; valueVersion: number }[];
  /** What the contract leaves unrendered, said in the status (a reference without a secret store). */
  notes: string[];
}

export function namespaceFor(
  template: string,
  env: Pick<PlacedEnvironment, "project" | "environment" | "domain">,
) {
  return template
    .replaceAll("{project}", env.project)
    .replaceAll("{environment}", env.environment)
    .replaceAll("{domain}", env.domain);
}

/** The ClusterRole each tenancy role binds to. */
const clusterRoleOf: Record<Role, string> = {
  admin: "admin",
  developer: "edit",
  contributor: "edit",
  viewer: "view",
};

function subjectOf(subject: string, options: Pick<SyncOptions, "userPrefix" | "groupPrefix">) {
  const [type, name] = [subject.slice(0, subject.indexOf(":")), subject.slice(subject.indexOf(":") + 1)];
  return type === "team"
    ? { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: options.groupPrefix + name }
    : { apiGroup: "rbac.authorization.k8s.io", kind: "User", name: options.userPrefix + name };
}

/** The ResourceQuota's `hard`: each dimension the quota limits, in the resources that carry it. */
export function quotaHard(quota: QuotaSpec | undefined, archived: boolean, gpuResource: string) {
  const hard: Record<string, string> = {};
  if (quota?.cpu !== undefined) Object.assign(hard, { "requests.cpu": quota.cpu, "limits.cpu": quota.cpu });
  if (quota?.memory !== undefined)
    Object.assign(hard, { "requests.memory": quota.memory, "limits.memory": quota.memory });
  if (quota?.gpu !== undefined) hard[`requests.${gpuResource}`] = quota.gpu;
  if (quota?.storage !== undefined) hard["requests.storage"] = quota.storage;
  if (archived) hard.pods = "0";
  return hard;
}

export function renderEnvironment(env: PlacedEnvironment, options: SyncOptions): RenderedEnvironment {
  const namespace = namespaceFor(options.namespaceTemplate, env);
  const labels = {
    [managedByLabel]: managedByValue,
    [clusterLabel]: options.cluster,
    "tenancy.dev/project": env.project,
    "tenancy.dev/environment": env.environment,
    "tenancy.dev/domain": env.domain,
  };
  const meta = (name: string, annotations?: Record<string, string>) => ({
    name,
    namespace,
    labels,
    ...(annotations ? { annotations } : {}),
  });
  const objects: KubeObject[] = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: namespace, labels } },
  ];
  const notes: string[] = [];

  const hard = quotaHard(env.quota, env.archived, options.gpuResource);
  if (Object.keys(hard).length > 0) {
    objects.push({ apiVersion: "v1", kind: "ResourceQuota", metadata: meta(quotaName), spec: { hard } });
  }

  const resources = (amounts: PlacedEnvironment["defaults"]["requests"]) => {
    const out: Record<string, string> = {};
    for (const kind of resourceKinds) {
      const value = amounts[kind];
      if (value === undefined) continue;
      out[kind === "gpu" ? options.gpuResource : kind === "storage" ? "ephemeral-storage" : kind] = value;
    }
    return out;
  };
  const defaultLimit = resources(env.defaults.limits);
  // As the apiserver defaults a LimitRange: a resource with a default limit and no default request
  // is requested at its limit. Rendered so, what sync applies is what the cluster keeps.
  const defaultRequest = { ...defaultLimit, ...resources(env.defaults.requests) };
  if (Object.keys(defaultRequest).length + Object.keys(defaultLimit).length > 0) {
    objects.push({
      apiVersion: "v1",
      kind: "LimitRange",
      metadata: meta(limitRangeName),
      spec: {
        limits: [
          {
            type: "Container",
            ...(Object.keys(defaultRequest).length > 0 ? { defaultRequest } : {}),
            ...(Object.keys(defaultLimit).length > 0 ? { default: defaultLimit } : {}),
          },
        ],
      },
    });
  }

  const secretValues: RenderedEnvironment["secretValues"] = [];
  for (const secret of env.secrets) {
    if (secret.kind === "value") {
      secretValues.push({ name: secret.name, valueVersion: secret.valueVersion });
      objects.push({
        apiVersion: "v1",
        kind: "Secret",
        metadata: meta(secret.name, { [valueVersionAnnotation]: String(secret.valueVersion) }),
        type: "Opaque",
      });
    } else if (options.secretStore !== undefined) {
      objects.push({
        apiVersion: "external-secrets.io/v1",
        kind: "ExternalSecret",
        metadata: meta(secret.name),
        spec: {
          secretStoreRef: { kind: "ClusterSecretStore", name: options.secretStore },
          target: { name: secret.name },
          data: [{ secretKey: "value", remoteRef: { key: secret.reference } }],
        },
      });
    } else {
      notes.push(
        `secret ${secret.name} is a reference: run sync with --secret-store to make an ExternalSecret`,
      );
    }
  }

  const byRole = new Map<Role, Set<string>>();
  for (const binding of env.roleBindings) {
    const subjects = byRole.get(binding.role) ?? new Set<string>();
    subjects.add(binding.subject);
    byRole.set(binding.role, subjects);
  }
  for (const [role, subjects] of [...byRole].sort(([a], [b]) => a.localeCompare(b))) {
    objects.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: meta(`tenancy-${role}`),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRoleOf[role] },
      subjects: [...subjects].sort().map((s) => subjectOf(s, options)),
    });
  }
  return { project: env.project, environment: env.environment, namespace, objects, secretValues, notes };
}
