// What sync renders from a placed environment, and when an object in the cluster counts as up to date.
import { strict as assert } from "node:assert";
import type { PlacedEnvironment } from "../../../model";
import { upToDate } from "../../../sync/compare";
import { syncOptionsSchema } from "../../../sync/options";
import { renderEnvironment } from "../../../sync/render";

const options = syncOptionsSchema.parse({ cluster: "local", userPrefix: "oidc:", groupPrefix: "oidc:" });
const env: PlacedEnvironment = {
  project: "web",
  environment: "production",
  domain: "production",
  archived: false,
  quota: { cpu: "4", memory: "8Gi", gpu: "1", storage: "100Gi" },
  defaults: { requests: { cpu: "100m" }, limits: { cpu: "1", storage: "1Gi" } },
  secrets: [
    { name: "db-password", kind: "value", valueVersion: 3 },
    { name: "api-key", kind: "reference", reference: "vault://kv/web/api-key", valueVersion: 0 },
  ],
  roleBindings: [
    { subject: "user:alice", role: "developer" },
    { subject: "user:bob", role: "contributor" },
    { subject: "team:ops", role: "viewer" },
  ],
};
const kinds = (objects: { kind: string; metadata: { name: string } }[]) =>
  objects.map((o) => `${o.kind}/${o.metadata.name}`);

describe("unit: sync's rendering", () => {
  it("renders the contract's table for one environment", () => {
    const rendered = renderEnvironment(env, options);
    assert.equal(rendered.namespace, "web-production");
    assert.deepEqual(kinds(rendered.objects), [
      "Namespace/web-production",
      "ResourceQuota/tenancy",
      "LimitRange/tenancy",
      "Secret/db-password",
      "RoleBinding/tenancy-contributor",
      "RoleBinding/tenancy-developer",
      "RoleBinding/tenancy-viewer",
    ]);
    const quota = rendered.objects[1]!;
    assert.deepEqual((quota.spec as { hard: object }).hard, {
      "requests.cpu": "4",
      "limits.cpu": "4",
      "requests.memory": "8Gi",
      "limits.memory": "8Gi",
      "requests.nvidia.com/gpu": "1",
      "requests.storage": "100Gi",
    });
    assert.deepEqual((rendered.objects[2]!.spec as { limits: object }).limits, [
      {
        type: "Container",
        // A default limit without a default request is requested at the limit, as the apiserver does.
        defaultRequest: { cpu: "100m", "ephemeral-storage": "1Gi" },
        default: { cpu: "1", "ephemeral-storage": "1Gi" },
      },
    ]);
    const viewer = rendered.objects[6]!;
    assert.deepEqual(viewer.subjects, [
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "oidc:ops" },
    ]);
    assert.deepEqual(viewer.roleRef, {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name: "view",
    });
    for (const object of rendered.objects) {
      assert.equal(object.metadata.labels?.["app.kubernetes.io/managed-by"], "tenancy");
    }
    assert.match(rendered.notes.join(), /api-key is a reference/);
  });

  it("renders a reference as an ExternalSecret with --secret-store, and an archived project's pods: 0", () => {
    const rendered = renderEnvironment(
      { ...env, archived: true, quota: undefined },
      { ...options, secretStore: "vault" },
    );
    const external = rendered.objects.find((o) => o.kind === "ExternalSecret")!;
    assert.equal(external.apiVersion, "external-secrets.io/v1");
    assert.deepEqual(external.spec, {
      secretStoreRef: { kind: "ClusterSecretStore", name: "vault" },
      target: { name: "api-key" },
      data: [{ secretKey: "value", remoteRef: { key: "vault://kv/web/api-key" } }],
    });
    const quota = rendered.objects.find((o) => o.kind === "ResourceQuota")!;
    assert.deepEqual((quota.spec as { hard: object }).hard, { pods: "0" });
  });

  it("refuses a namespace template that would give two environments one namespace", () => {
    assert.throws(() => syncOptionsSchema.parse({ cluster: "local", namespaceTemplate: "{project}" }));
  });
});

describe("unit: sync's up-to-date check", () => {
  const desired = renderEnvironment(env, options).objects[1]!;
  const current = {
    ...desired,
    metadata: {
      ...desired.metadata,
      resourceVersion: "7",
      labels: { ...desired.metadata.labels, extra: "x" },
    },
    status: { used: { "requests.cpu": "1" } },
  };

  it("takes what the apiserver added and quantities written another way as up to date", () => {
    assert.ok(upToDate(current, desired));
    const spelled = {
      ...current,
      spec: { hard: { ...(desired.spec as { hard: object }).hard, "requests.cpu": "4000m" } },
    };
    assert.ok(upToDate(spelled, desired));
  });

  it("sees a changed limit and a limit sync no longer declares", () => {
    const raised = {
      ...current,
      spec: { hard: { ...(desired.spec as { hard: object }).hard, "requests.cpu": "50" } },
    };
    assert.ok(!upToDate(raised, desired));
    const extra = { ...current, spec: { hard: { ...(desired.spec as { hard: object }).hard, pods: "0" } } };
    assert.ok(!upToDate(extra, desired));
  });
});
