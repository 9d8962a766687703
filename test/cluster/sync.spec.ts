// tenancy sync against a real Kubernetes control plane (etcd, kube-apiserver and
// kube-controller-manager): what it writes, what Kubernetes then admits, and how it keeps both in
// step.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  RbacAuthorizationV1Api,
} from "@kubernetes/client-node";
import { createApiClient, createHttpTransport, type TenancyClient } from "../../client";
import { startKubernetes, type KubernetesControlPlane } from "../../scripts/harness";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { eventually, startSync, syncOnce, type SyncProcess } from "./sync-process";

const secretValue = "pa55-word-never-printed";
/** The client's model instances as plain data. */
const plain = (value: unknown) => JSON.parse(JSON.stringify(value));

/** Project web with development placed on cluster `local` by its domain and staging on `elsewhere`,
 * as the example organisation places its domains. */
async function placeOrganisation(admin: TenancyClient) {
  await admin.clusters.create({ name: "local" });
  await admin.clusters.create({ name: "elsewhere" });
  await admin.domains.create({ name: "development", tier: "non-production", clusters: ["local"] });
  await admin.domains.create({ name: "staging", tier: "non-production", clusters: ["elsewhere"] });
  await admin.projects.create({ name: "web" });
  await admin.environments.create("web", { domain: "development" });
  await admin.environments.create("web", { domain: "staging" });
}

describe("cluster: tenancy sync against kube-apiserver", function () {
  this.timeout(240_000);
  let kube: KubernetesControlPlane;
  let server: TestServer;
  let admin: TenancyClient;
  let syncToken: string;
  let core: CoreV1Api;
  let rbac: RbacAuthorizationV1Api;
  let leases: CoordinationV1Api;
  const running: SyncProcess[] = [];
  const env = () => ({ TENANCY_ENDPOINT: server.url, TENANCY_TOKEN: syncToken });
  const args = () => ["--cluster", "local", "--kubeconfig", kube.kubeconfig];
  const ns = "web-development";

  before(async () => {
    [kube, server] = await Promise.all([startKubernetes(), startTestServer("pglite")]);
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    leases = kc.makeApiClient(CoordinationV1Api);
    admin = createApiClient(createHttpTransport({ endpoint: server.url, token: adminToken }));
    await placeOrganisation(admin);
    await admin.quotas.put("web", "development", { cpu: "2", memory: "4Gi" });
    await admin.defaults.put(
      { kind: "domain", domain: "development" },
      { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "500m", memory: "512Mi" } },
    );
    await admin.secrets.create("web", "development", { name: "db-password", value: secretValue });
    await admin.secrets.create("web", "staging", { name: "db-password", value: "staging-value" });
    await admin.roleBindings.create("web", {
      subject: "user:alice",
      role: "developer",
      environment: "development",
    });
    await admin.roleBindings.create("web", { subject: "team:ops", role: "viewer" });
    syncToken = (
      await admin.tokens.create({ name: "sync-local", subject: "service:sync-local", cluster: "local" })
    ).token;
  });
  after(async () => {
    for (const sync of running) await sync.kill("SIGKILL");
    await admin?.close();
    await server?.close();
    await kube?.stop();
  });

  it("writes every object of the table with --once and exits 0, printing no secret", async () => {
    const { code, output } = await syncOnce(args(), env());
    assert.equal(code, 0, output);
    assert.ok(!output.includes(secretValue), output);
    const namespace = await core.readNamespace({ name: ns });
    assert.deepEqual(
      { ...namespace.metadata!.labels, "kubernetes.io/metadata.name": undefined },
      {
        "kubernetes.io/metadata.name": undefined,
        "app.kubernetes.io/managed-by": "tenancy",
        "tenancy.dev/cluster": "local",
        "tenancy.dev/project": "web",
        "tenancy.dev/environment": "development",
        "tenancy.dev/domain": "development",
      },
    );
    const quota = await core.readNamespacedResourceQuota({ name: "tenancy", namespace: ns });
    assert.deepEqual(quota.spec!.hard, {
      "requests.cpu": "2",
      "limits.cpu": "2",
      "requests.memory": "4Gi",
      "limits.memory": "4Gi",
    });
    const limits = await core.readNamespacedLimitRange({ name: "tenancy", namespace: ns });
    assert.deepEqual(plain(limits.spec!.limits), [
      {
        type: "Container",
        defaultRequest: { cpu: "100m", memory: "128Mi" },
        _default: { cpu: "500m", memory: "512Mi" },
      },
    ]);
    const secret = await core.readNamespacedSecret({ name: "db-password", namespace: ns });
    assert.equal(secret.type, "Opaque");
    assert.equal(Buffer.from(secret.data!.value!, "base64").toString(), secretValue);
    const edit = await rbac.readNamespacedRoleBinding({ name: "tenancy-developer", namespace: ns });
    assert.equal(edit.roleRef.name, "edit");
    assert.deepEqual(
      edit.subjects?.map((s) => [s.kind, s.name]),
      [["User", "alice"]],
    );
    const view = await rbac.readNamespacedRoleBinding({ name: "tenancy-viewer", namespace: ns });
    assert.equal(view.roleRef.name, "view");
    assert.deepEqual(
      view.subjects?.map((s) => [s.kind, s.name]),
      [["Group", "ops"]],
    );
    // Staging is placed elsewhere: nothing of it here.
    await assert.rejects(
      core.readNamespace({ name: "web-staging" }),
      (err: ApiException<unknown>) => err.code === 404,
    );
    const [placement] = await admin.clusters.ofEnvironment("web", "development");
    assert.equal(placement?.status?.phase, "synced");
  });

  it("lets Kubernetes refuse a Pod over the quota, admit one within it, and default one without requests", async () => {
    // The resource-quota controller fills status.hard before the apiserver admits anything under it.
    await eventually("the quota's status", async () => {
      const quota = await core.readNamespacedResourceQuota({ name: "tenancy", namespace: ns });
      return quota.status?.hard?.["requests.cpu"] === "2" ? true : undefined;
    });
    const pod = (name: string, resources?: object) => ({
      metadata: { name },
      spec: {
        containers: [{ name: "app", image: "example.invalid/app:1", ...(resources ? { resources } : {}) }],
      },
    });
    await assert.rejects(
      core.createNamespacedPod({
        namespace: ns,
        body: pod("too-big", { requests: { cpu: "3", memory: "1Gi" }, limits: { cpu: "3", memory: "1Gi" } }),
      }),
      (err: ApiException<string>) => err.code === 403 && /exceeded quota/.test(String(err.body)),
    );
    await core.createNamespacedPod({
      namespace: ns,
      body: pod("fits", { requests: { cpu: "1", memory: "1Gi" }, limits: { cpu: "1", memory: "1Gi" } }),
    });
    const defaulted = await core.createNamespacedPod({ namespace: ns, body: pod("defaulted") });
    assert.deepEqual(plain(defaulted.spec!.containers[0]!.resources), {
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    });
  });

  it("reports a hand-made Secret with a binding's name as a conflict and leaves it byte for byte", async () => {
    const made = await core.createNamespacedSecret({
      namespace: ns,
      body: { metadata: { name: "api-key" }, data: { value: Buffer.from("hand-made").toString("base64") } },
    });
    await admin.secrets.create("web", "development", { name: "api-key", value: "from-tenancy" });
    const { code, output } = await syncOnce(args(), env());
    assert.equal(code, 1, output);
    const after = await core.readNamespacedSecret({ name: "api-key", namespace: ns });
    assert.equal(after.metadata!.resourceVersion, made.metadata!.resourceVersion);
    assert.deepEqual(after.data, made.data);
    assert.deepEqual(after.metadata!.labels, made.metadata!.labels);
    const [placement] = await admin.clusters.ofEnvironment("web", "development");
    assert.equal(placement?.status?.phase, "conflict");
    assert.match(placement!.status!.message!, /Secret api-key exists and was not made by tenancy/);
    await core.deleteNamespacedSecret({ name: "api-key", namespace: ns });
  });

  it("prints what --dry-run would write and writes nothing", async () => {
    const quota = await admin.quotas.get("web", "development");
    await admin.quotas.put("web", "development", { cpu: "3", memory: "4Gi" }, quota.version);
    const before = await core.readNamespacedResourceQuota({ name: "tenancy", namespace: ns });
    const { code, output } = await syncOnce([...args(), "--dry-run"], env());
    assert.equal(code, 0, output);
    assert.match(output, /change ResourceQuota\/web-development\/tenancy/);
    assert.match(output, /create Secret\/web-development\/api-key/);
    const after = await core.readNamespacedResourceQuota({ name: "tenancy", namespace: ns });
    assert.equal(after.metadata!.resourceVersion, before.metadata!.resourceVersion);
  });

  it("exits 2 when the cluster cannot be reached", async () => {
    const unreachable = `${kube.dir}/unreachable.kubeconfig`;
    const config = JSON.parse(fs.readFileSync(kube.kubeconfig, "utf8"));
    config.clusters[0].cluster.server = "https://127.0.0.1:1";
    fs.writeFileSync(unreachable, JSON.stringify(config));
    const { code, output } = await syncOnce(["--cluster", "local", "--kubeconfig", unreachable], env());
    assert.equal(code, 2, output);
  });

  it("keeps the cluster in step while it runs: changes within 2 s, hand edits put back, bindings removed", async () => {
    const sync = startSync(args(), env());
    running.push(sync);
    const hardCpu = async () =>
      (await core.readNamespacedResourceQuota({ name: "tenancy", namespace: ns })).spec!.hard![
        "requests.cpu"
      ];
    await eventually("the first pass", async () => ((await hardCpu()) === "3" ? true : undefined), 30_000);

    const quota = await admin.quotas.get("web", "development");
    const changedAt = Date.now();
    await admin.quotas.put("web", "development", { cpu: "5", memory: "4Gi" }, quota.version);
    await eventually(
      "the quota change in the cluster",
      async () => ((await hardCpu()) === "5" ? true : undefined),
      10_000,
    );
    const latency = Date.now() - changedAt;
    assert.ok(latency <= 2_000, `the change took ${latency} ms to reach the cluster`);

    await core.patchNamespacedResourceQuota({
      name: "tenancy",
      namespace: ns,
      body: [{ op: "replace", path: "/spec/hard/requests.cpu", value: "50" }],
    });
    await eventually(
      "the hand edit put back",
      async () => ((await hardCpu()) === "5" ? true : undefined),
      10_000,
    );

    const binding = (await admin.roleBindings.list("web")).find((b) => b.subject === "user:alice")!;
    await admin.roleBindings.delete("web", binding.id);
    await eventually("alice's RoleBinding gone", async () => {
      try {
        await rbac.readNamespacedRoleBinding({ name: "tenancy-developer", namespace: ns });
        return undefined;
      } catch (err) {
        return (err as ApiException<unknown>).code === 404 ? true : undefined;
      }
    });
    assert.ok(!sync.output().includes(secretValue));
    const cluster = await admin.clusters.get("local");
    assert.ok(cluster.lastSeenAt, "the cluster shows when its sync was last seen");
    assert.match(cluster.leader ?? "", /\/\d+\//);
  });

  it("takes an expired binding's subject out of the cluster within 2 s of its expiry, nothing else changing", async () => {
    const viewers = async () =>
      ((await rbac.readNamespacedRoleBinding({ name: "tenancy-viewer", namespace: ns })).subjects ?? []).map(
        (s) => `${s.kind}:${s.name}`,
      );
    const expiresAt = new Date(Date.now() + 6_000);
    await admin.roleBindings.create("web", {
      subject: "user:temp",
      role: "viewer",
      environment: "development",
      expiresAt: expiresAt.toISOString(),
    });
    const hasTemp = (subjects: string[]) => subjects.some((s) => /^User:.*temp$/.test(s));
    await eventually("temp's RoleBinding subject", async () => (hasTemp(await viewers()) ? true : undefined));
    assert.ok(Date.now() < expiresAt.getTime(), "the binding reached the cluster before it expired");
    const left = await eventually(
      "temp's subject gone",
      async () => {
        const subjects = await viewers();
        return hasTemp(subjects) ? undefined : subjects;
      },
      30_000,
    );
    const lateMs = Date.now() - expiresAt.getTime();
    assert.ok(lateMs <= 2_000, `temp kept cluster access ${lateMs} ms after the binding expired`);
    assert.ok(
      left.some((s) => /^Group:.*ops$/.test(s)),
      "the unexpired viewers keep theirs",
    );
  });

  it("hands the lease to a second process within 30 s when the leader is killed", async () => {
    const first = running[0]!;
    const lease = async () =>
      (await leases.readNamespacedLease({ name: "tenancy-sync-local", namespace: "tenancy-system" })).spec!
        .holderIdentity;
    const leader = await lease();
    assert.match(leader ?? "", new RegExp(`/${first.child.pid}/`));
    const second = startSync(args(), env());
    running.push(second);
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(await lease(), leader, "the second process does not take a held lease");
    const killedAt = Date.now();
    await first.kill("SIGKILL");
    await eventually(
      "the second process leading",
      async () => ((await lease())?.includes(`/${second.child.pid}/`) ? true : undefined),
      30_000,
    );
    assert.ok(Date.now() - killedAt <= 30_000);
    const quota = await admin.quotas.get("web", "development");
    await admin.quotas.put("web", "development", { cpu: "6", memory: "4Gi" }, quota.version);
    await eventually("the new leader writing", async () => {
      const hard = (await core.readNamespacedResourceQuota({ name: "tenancy", namespace: ns })).spec!.hard!;
      return hard["requests.cpu"] === "6" ? true : undefined;
    });
  });

  it("catches up after the apiserver was stopped and started", async () => {
    await kube.stopApiserver();
    const quota = await admin.quotas.get("web", "development");
    await admin.quotas.put("web", "development", { cpu: "7", memory: "4Gi" }, quota.version);
    await new Promise((r) => setTimeout(r, 2_000));
    await kube.startApiserver();
    await eventually(
      "the change made while the apiserver was down",
      async () => {
        const hard = (await core.readNamespacedResourceQuota({ name: "tenancy", namespace: ns })).spec!.hard!;
        return hard["requests.cpu"] === "7" ? true : undefined;
      },
      40_000,
    );
  });

  it("orphans the namespace of an environment placed elsewhere, keeping nothing sync made in it", async () => {
    const environment = await admin.environments.get("web", "development");
    await admin.environments.update("web", "development", { clusters: [] }, environment.version);
    await eventually("the orphan label", async () => {
      const namespace = await core.readNamespace({ name: ns });
      return namespace.metadata!.labels!["tenancy.dev/orphaned"] === "true" ? true : undefined;
    });
    await eventually("sync's objects gone", async () => {
      const quotas = await core.listNamespacedResourceQuota({ namespace: ns });
      const secrets = await core.listNamespacedSecret({
        namespace: ns,
        labelSelector: "app.kubernetes.io/managed-by=tenancy",
      });
      return quotas.items.length === 0 && secrets.items.length === 0 ? true : undefined;
    });
  });
});

describe("cluster: what a sync token may do", function () {
  this.timeout(60_000);
  let server: TestServer;
  let admin: TenancyClient;
  let token: string;
  before(async () => {
    server = await startTestServer("pglite");
    admin = createApiClient(createHttpTransport({ endpoint: server.url, token: adminToken }));
    await placeOrganisation(admin);
    await admin.secrets.create("web", "development", { name: "db-password", value: "dev-value" });
    await admin.secrets.create("web", "staging", { name: "db-password", value: "staging-value" });
    token = (await admin.tokens.create({ name: "sync", subject: "service:sync", cluster: "local" })).token;
  });
  after(async () => {
    await admin?.close();
    await server?.close();
  });

  it("reads and reveals what is placed on its cluster, and nothing placed elsewhere", async () => {
    const own = await server.request("GET", "/v1/projects/web/environments/development", { token });
    assert.equal(own.status, 200);
    const revealed = await server.request(
      "POST",
      "/v1/projects/web/environments/development/secrets/db-password/reveal",
      { token },
    );
    assert.equal(revealed.status, 200, JSON.stringify(revealed.body));
    const other = await server.request("GET", "/v1/projects/web/environments/staging", { token });
    assert.equal(other.status, 404);
    assert.equal(other.body.code, "not_found");
    const otherSecret = await server.request(
      "POST",
      "/v1/projects/web/environments/staging/secrets/db-password/reveal",
      { token },
    );
    assert.equal(otherSecret.status, 404);
    const many = await server.request("POST", "/v1/secrets/reveal", {
      token,
      body: {
        secrets: ["development", "staging"].map((environment) => ({
          project: "web",
          environment,
          name: "db-password",
        })),
      },
    });
    assert.equal(many.status, 200, JSON.stringify(many.body));
    assert.equal(typeof many.body.secrets[0].value, "string");
    assert.equal(many.body.secrets[1].error.code, "not_found");
    assert.equal(many.body.secrets[1].value, undefined);
    const snapshot = await server.request("GET", "/v1/clusters/local/environments", { token });
    assert.deepEqual(
      snapshot.body.environments.map((e: { environment: string }) => e.environment),
      ["development"],
    );
    const foreign = await server.request("GET", "/v1/clusters/elsewhere/environments", { token });
    assert.equal(foreign.status, 403);
  });

  it("writes nothing but its cluster's status", async () => {
    const quota = await server.request("PUT", "/v1/projects/web/environments/development/quota", {
      token,
      body: { cpu: "100" },
    });
    assert.equal(quota.status, 403, JSON.stringify(quota.body));
    const project = await server.request("POST", "/v1/projects", { token, body: { name: "mine" } });
    assert.equal(project.status, 403);
    const status = { phase: "synced", syncedVersion: 1, syncedAt: new Date().toISOString() };
    const own = await server.request("PUT", "/v1/clusters/local/environments/web/development/status", {
      token,
      body: status,
    });
    assert.equal(own.status, 204, JSON.stringify(own.body));
    const elsewhere = await server.request("PUT", "/v1/clusters/elsewhere/environments/web/staging/status", {
      token,
      body: status,
    });
    assert.equal(elsewhere.status, 403);
    const notPlaced = await server.request("PUT", "/v1/clusters/local/environments/web/staging/status", {
      token,
      body: status,
    });
    assert.equal(notPlaced.status, 404);
    const batch = await server.request("PUT", "/v1/clusters/local/status", {
      token,
      body: {
        environments: ["development", "staging"].map((environment) => ({
          project: "web",
          environment,
          ...status,
        })),
      },
    });
    assert.equal(batch.status, 200, JSON.stringify(batch.body));
    assert.equal(batch.body.recorded, 1);
    assert.deepEqual(
      batch.body.skipped.map((s: { environment: string }) => s.environment),
      ["staging"],
    );
    const foreignBatch = await server.request("PUT", "/v1/clusters/elsewhere/status", {
      token,
      body: { environments: [] },
    });
    assert.equal(foreignBatch.status, 403);
  });

  it("follows the change feed for its cluster only", async () => {
    const start = (await server.request("GET", "/v1/changes?after=0", { token })).body.revision as number;
    const [dev, staging] = [
      await admin.quotas.put("web", "development", { cpu: "1" }),
      await admin.quotas.put("web", "staging", { cpu: "1" }),
    ];
    assert.ok(dev && staging);
    const page = await server.request("GET", `/v1/changes?after=${start}`, { token });
    const environments = page.body.changes.map((c: { environment?: string }) => c.environment);
    assert.ok(environments.includes("development"), JSON.stringify(page.body));
    assert.ok(!environments.includes("staging"), JSON.stringify(page.body));
  });
});
