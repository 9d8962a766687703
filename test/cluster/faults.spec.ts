// tenancy sync through faults: killed with SIGKILL in the middle of a pass, and its control plane
// restarted under it. Each time it converges with nothing lost and nothing made twice.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from "@kubernetes/client-node";
import { createApiClient, createHttpTransport, type TenancyClient } from "../../client";
import {
  freePort,
  serve,
  startKubernetes,
  type KubernetesControlPlane,
  type ServeProcess,
} from "../../scripts/harness";
import { adminToken, secretKey } from "../api/server";
import { eventually, startSync, syncOnce, type SyncProcess } from "./sync-process";

const environmentCount = 40;
const names = Array.from({ length: environmentCount }, (_, i) => `env${String(i).padStart(2, "0")}`);

describe("cluster: sync through faults", function () {
  this.timeout(300_000);
  let kube: KubernetesControlPlane;
  let dataDir: string;
  let port: number;
  let server: ServeProcess;
  let admin: TenancyClient;
  let core: CoreV1Api;
  let rbac: RbacAuthorizationV1Api;
  let token: string;
  const running: SyncProcess[] = [];
  const serverEnv = { TENANCY_BOOTSTRAP_TOKEN: adminToken, TENANCY_SECRET_KEY: secretKey };
  const startServer = () => serve(["--data", dataDir, "--port", String(port)], serverEnv);
  const env = () => ({ TENANCY_ENDPOINT: server.url, TENANCY_TOKEN: token });
  const args = () => ["--cluster", "local", "--kubeconfig", kube.kubeconfig];
  const managed = { labelSelector: "app.kubernetes.io/managed-by=tenancy" };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-sync-faults-"));
    port = await freePort();
    [kube, server] = await Promise.all([startKubernetes(), startServer()]);
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    admin = createApiClient(createHttpTransport({ endpoint: server.url, token: adminToken }));
    await admin.clusters.create({ name: "local" });
    await admin.projects.create({ name: "app" });
    for (const name of names) {
      await admin.domains.create({ name, tier: "non-production", clusters: ["local"] });
      await admin.environments.create("app", { domain: name });
      await admin.quotas.put("app", name, { cpu: "2" });
      await admin.secrets.create("app", name, { name: "token", value: `value-of-${name}` });
    }
    await admin.roleBindings.create("app", { subject: "team:app", role: "developer" });
    token = (await admin.tokens.create({ name: "sync", subject: "service:sync", cluster: "local" })).token;
  });
  after(async () => {
    for (const sync of running) await sync.kill("SIGKILL");
    await admin?.close();
    await server?.stop();
    await kube?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("converges after SIGKILL in the middle of a pass, with nothing lost and nothing twice", async () => {
    const sync = startSync(args(), env());
    running.push(sync);
    // Killed once some environments are there and others are not.
    await eventually(
      "part of the first pass",
      async () => {
        const namespaces = await core.listNamespace(managed);
        return namespaces.items.length >= 5 ? true : undefined;
      },
      30_000,
      20,
    );
    await sync.kill("SIGKILL");
    const partial = (await core.listNamespace(managed)).items.length;
    assert.ok(partial < environmentCount, `the pass had finished (${partial} namespaces) before the kill`);

    const { code, output } = await syncOnce(args(), env());
    assert.equal(code, 0, output);
    const namespaces = (await core.listNamespace(managed)).items.map((n) => n.metadata!.name).sort();
    assert.deepEqual(
      namespaces,
      names.map((n) => `app-${n}`),
    );
    const quotas = await core.listResourceQuotaForAllNamespaces(managed);
    const secrets = await core.listSecretForAllNamespaces(managed);
    const bindings = await rbac.listRoleBindingForAllNamespaces(managed);
    assert.equal(quotas.items.length, environmentCount);
    assert.equal(secrets.items.length, environmentCount);
    assert.equal(bindings.items.length, environmentCount);
    for (const secret of secrets.items) {
      const environment = secret.metadata!.labels!["tenancy.dev/environment"];
      assert.equal(Buffer.from(secret.data!.value!, "base64").toString(), `value-of-${environment}`);
    }
    const again = await syncOnce([...args(), "--dry-run"], env());
    assert.match(
      again.output,
      new RegExp(`^0 write\\(s\\) planned for ${environmentCount} environment\\(s\\)$`, "m"),
    );
  });

  it("keeps running through a restart of its control plane, and follows its changes after", async () => {
    const sync = startSync(args(), env());
    running.push(sync);
    await eventually(
      "sync leading",
      async () => ((await admin.clusters.get("local")).leader ? true : undefined),
      60_000,
    );
    await server.stop();
    await new Promise((r) => setTimeout(r, 3_000));
    assert.equal(
      sync.child.exitCode,
      null,
      `sync exited while the control plane was down:\n${sync.output()}`,
    );
    server = await startServer();
    const quota = await admin.quotas.get("app", "env07");
    await admin.quotas.put("app", "env07", { cpu: "3" }, quota.version);
    await eventually(
      "the change made after the restart in the cluster",
      async () => {
        const hard = (await core.readNamespacedResourceQuota({ name: "tenancy", namespace: "app-env07" }))
          .spec!.hard!;
        return hard["requests.cpu"] === "3" ? true : undefined;
      },
      30_000,
    );
  });
});
