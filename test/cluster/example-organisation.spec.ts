// The example organisation (examples/organisation) goes up with the real pulumi CLI against a
// control plane, and tenancy sync puts every environment placed on its cluster `local` into a real
// kube-apiserver; then changes made in code reach the cluster while sync runs.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  ApiextensionsV1Api,
  type ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { createApiClient, createHttpTransport, type TenancyClient } from "../../client";
import { repoRoot, startKubernetes, TestStack, type KubernetesControlPlane } from "../../scripts/harness";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { eventually, startSync, syncOnce, type SyncProcess } from "./sync-process";

const devPassword = "example-dev-password-3f9a";
const prodPassword = "example-prod-password-7c21";
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));
/** The environments the example places on `local`: development and production of each project. */
const placed = [
  "web-development",
  "web-production",
  "ml-platform-development",
  "ml-platform-production",
  "acme-development",
  "acme-acme-prod",
];

/** The ExternalSecret CRD as external-secrets installs it, reduced to what the apiserver needs to
 * store one (field names as the client's models spell them). */
const externalSecretCrd = {
  metadata: { name: "externalsecrets.external-secrets.io" },
  spec: {
    group: "external-secrets.io",
    names: {
      kind: "ExternalSecret",
      plural: "externalsecrets",
      singular: "externalsecret",
      listKind: "ExternalSecretList",
    },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", x_kubernetes_preserve_unknown_fields: true },
              status: { type: "object", x_kubernetes_preserve_unknown_fields: true },
            },
          },
        },
      },
    ],
  },
};

describe("cluster: the example organisation, from pulumi up to the apiserver", function () {
  this.timeout(600_000);
  let kube: KubernetesControlPlane;
  let server: TestServer;
  let stack: TestStack;
  let admin: TenancyClient;
  let core: CoreV1Api;
  let rbac: RbacAuthorizationV1Api;
  let syncToken: string;
  let sync: SyncProcess | undefined;
  const args = () => ["--cluster", "local", "--kubeconfig", kube.kubeconfig, "--secret-store", "vault"];
  const env = () => ({ TENANCY_ENDPOINT: server.url, TENANCY_TOKEN: syncToken });
  const program = () => path.join(stack.programDir, "index.ts");
  const editProgram = (from: string, to: string) => {
    const text = fs.readFileSync(program(), "utf8");
    assert.ok(text.includes(from), `the example declares ${from}`);
    fs.writeFileSync(program(), text.replace(from, to));
  };
  const hardCpu = async (namespace: string) =>
    (await core.readNamespacedResourceQuota({ name: "tenancy", namespace })).spec!.hard!["requests.cpu"];

  before(async () => {
    [kube, server] = await Promise.all([startKubernetes(), startTestServer("pglite")]);
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await kc.makeApiClient(ApiextensionsV1Api).createCustomResourceDefinition({ body: externalSecretCrd });
    // The example as a program folder of its own: its Pulumi.yaml points at examples/organisation.
    const source = fs.mkdtempSync(
      path.join(server.url.includes("127.0.0.1") ? kube.dir : kube.dir, "example-"),
    );
    fs.copyFileSync(path.join(repoRoot, "examples/organisation/index.ts"), path.join(source, "index.ts"));
    fs.writeFileSync(
      path.join(source, "Pulumi.yaml"),
      "name: tenancy-example\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n",
    );
    stack = await TestStack.create({
      program: source,
      config: {
        "tenancy:endpoint": server.url,
        "tenancy:token": { secret: adminToken },
        webDevDbPassword: { secret: devPassword },
        webProdDbPassword: { secret: prodPassword },
      },
    });
    const up = await stack.up();
    assert.equal(up.code, 0, up.output);
    admin = createApiClient(createHttpTransport({ endpoint: server.url, token: adminToken }));
    syncToken = (
      await admin.tokens.create({ name: "sync-local", subject: "service:sync-local", cluster: "local" })
    ).token;
  });
  after(async () => {
    await sync?.kill("SIGKILL");
    await admin?.close();
    // Its production environments are protected: the stack is thrown away with its control plane.
    await stack?.discard();
    await server?.close();
    await kube?.stop();
  });

  it("puts every environment placed on the cluster there, with its quota, defaults, secrets and roles", async () => {
    const { code, output } = await syncOnce(args(), env());
    assert.equal(code, 0, output);
    assert.ok(!output.includes(devPassword) && !output.includes(prodPassword), output);
    // A second pass finds nothing to change, and writes nothing.
    const again = await syncOnce([...args(), "--dry-run"], env());
    assert.equal(again.code, 0, again.output);
    assert.match(again.output, /^0 write\(s\) planned for 6 environment\(s\)$/m, again.output);
    const namespaces = await core.listNamespace({ labelSelector: "app.kubernetes.io/managed-by=tenancy" });
    assert.deepEqual(namespaces.items.map((n) => n.metadata!.name).sort(), [...placed].sort());

    const webProd = await core.readNamespacedResourceQuota({ name: "tenancy", namespace: "web-production" });
    assert.deepEqual(webProd.spec!.hard, {
      "requests.cpu": "32",
      "limits.cpu": "32",
      "requests.memory": "64Gi",
      "limits.memory": "64Gi",
    });
    const mlProd = await core.readNamespacedResourceQuota({
      name: "tenancy",
      namespace: "ml-platform-production",
    });
    assert.equal(mlProd.spec!.hard!["requests.nvidia.com/gpu"], "8");
    // Environment over project over domain.
    const mlDefaults = await core.readNamespacedLimitRange({
      name: "tenancy",
      namespace: "ml-platform-production",
    });
    assert.deepEqual(plain(mlDefaults.spec!.limits), [
      {
        type: "Container",
        defaultRequest: { cpu: "2", memory: "8Gi", "nvidia.com/gpu": "1" },
        // The client's model spells the API's `default` so.
        _default: { cpu: "2", memory: "16Gi", "nvidia.com/gpu": "1" },
      },
    ]);
    const password = await core.readNamespacedSecret({ name: "db-password", namespace: "web-production" });
    assert.equal(Buffer.from(password.data!.value!, "base64").toString(), prodPassword);
    const stripe = (await kubeCustom().getNamespacedCustomObject({
      group: "external-secrets.io",
      version: "v1",
      namespace: "web-production",
      plural: "externalsecrets",
      name: "stripe-key",
    })) as { spec: unknown };
    assert.deepEqual(stripe.spec, {
      secretStoreRef: { kind: "ClusterSecretStore", name: "vault" },
      target: { name: "stripe-key" },
      data: [{ secretKey: "value", remoteRef: { key: "vault://web/production/stripe" } }],
    });
    const admins = await rbac.readNamespacedRoleBinding({
      name: "tenancy-admin",
      namespace: "web-production",
    });
    assert.equal(admins.roleRef.name, "admin");
    assert.deepEqual(plain(admins.subjects), [
      { apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: "sre" },
    ]);
    const developers = await rbac.readNamespacedRoleBinding({
      name: "tenancy-developer",
      namespace: "web-development",
    });
    assert.deepEqual(
      developers.subjects!.map((s) => s.name),
      ["storefront"],
    );
  });

  it("has Kubernetes refuse a Pod over the quota, admit one within it, and default one without requests", async () => {
    const namespace = "web-development";
    await eventually("the quota's status", async () => {
      const quota = await core.readNamespacedResourceQuota({ name: "tenancy", namespace });
      return quota.status?.hard?.["requests.cpu"] === "8" ? true : undefined;
    });
    const pod = (name: string, resources?: object) => ({
      metadata: { name },
      spec: {
        containers: [{ name: "app", image: "example.invalid/app:1", ...(resources ? { resources } : {}) }],
      },
    });
    const amounts = (cpu: string) => ({ requests: { cpu, memory: "1Gi" }, limits: { cpu, memory: "1Gi" } });
    await assert.rejects(
      core.createNamespacedPod({ namespace, body: pod("too-big", amounts("9")) }),
      (err: ApiException<string>) => err.code === 403 && /exceeded quota/.test(String(err.body)),
    );
    await core.createNamespacedPod({ namespace, body: pod("fits", amounts("4")) });
    const defaulted = await core.createNamespacedPod({ namespace, body: pod("defaulted") });
    assert.deepEqual(plain(defaulted.spec!.containers[0]!.resources), {
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "2Gi" },
    });
  });

  it("brings a quota changed with pulumi up into the cluster within 2 s, and a binding deleted in code out", async () => {
    sync = startSync(args(), env());
    await eventually(
      "sync leading",
      async () => ((await admin.clusters.get("local")).leader ? true : undefined),
      30_000,
    );
    editProgram(
      `quota: { cpu: 8, memory: "16Gi", maxConcurrentExecutions: 10 },`,
      `quota: { cpu: 6, memory: "16Gi", maxConcurrentExecutions: 10 },`,
    );
    let seenAt: number | undefined;
    const watching = eventually(
      "the new quota in the cluster",
      async () => ((await hardCpu("web-development")) === "6" ? (seenAt = Date.now()) : undefined),
      180_000,
    );
    const up = await stack.up();
    assert.equal(up.code, 0, up.output);
    await watching;
    const [written] = await admin.audit.list({
      action: "quota.update",
      targetId: "web/development",
      limit: "1",
    });
    assert.ok(written, "the quota's update is audited");
    const latency = seenAt! - new Date(written.at).getTime();
    assert.ok(latency <= 2_000, `the quota reached the cluster ${latency} ms after it was written`);

    editProgram(
      `{ key: "web-storefront", project: web, subject: "team:storefront", role: "developer" },`,
      "",
    );
    const removed = await stack.up();
    assert.equal(removed.code, 0, removed.output);
    await eventually("storefront's RoleBinding gone", async () => {
      try {
        await rbac.readNamespacedRoleBinding({ name: "tenancy-developer", namespace: "web-development" });
        return undefined;
      } catch (err) {
        return (err as ApiException<unknown>).code === 404 ? true : undefined;
      }
    });
    assert.ok(!sync.output().includes(devPassword) && !sync.output().includes(prodPassword));
  });

  function kubeCustom() {
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    return kc.makeApiClient(CustomObjectsApi);
  }
});
