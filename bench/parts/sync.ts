// The sync part: tenancy sync against a real kube-apiserver (test/cluster's control plane).
// - Cold sync of BENCH_SYNC_ENVIRONMENTS environments (default 1,000; seven objects each) by
//   `tenancy sync --once`, against the same objects rendered to YAML and applied with
//   `kubectl apply --server-side` (scripts/toolchain/kubectl.sh), side by side on one apiserver:
//   each run writes its own namespaces (its own namespace template), alternating, BENCH_REPS times.
// - A resync with nothing to change: its writes to the apiserver and its requests to the control plane.
// - Change to cluster: p50 and p99 from a quota's write (its audit time) to the ResourceQuota
//   changing in the cluster (a watch), over BENCH_SYNC_CHANGES changes (default 200) while sync runs.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { KubeConfig, Watch } from "@kubernetes/client-node";
import { createApiClient, createHttpTransport } from "../../client";
import { repoRoot, run, serve, startKubernetes } from "../../scripts/harness";
import { syncOptionsSchema } from "../../sync/options";
import { renderEnvironment } from "../../sync/render";
import { median, spread, target } from "../report";
import { adminToken, reps, secretKey } from "../settings";
import { requestCount } from "./engine";

const environments = Number(process.env.BENCH_SYNC_ENVIRONMENTS ?? 1000);
const changes = Number(process.env.BENCH_SYNC_CHANGES ?? 200);

function percentile(xs: number[], p: number) {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** `tenancy sync …` as a process: seconds, exit code and output. Asynchronous, so the control
 * plane's log keeps being read meanwhile (its request count). */
async function syncProcess(args: string[], env: NodeJS.ProcessEnv) {
  const start = process.hrtime.bigint();
  const result = await run(process.execPath, [path.join(repoRoot, "dist/cli/main.js"), "sync", ...args], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { seconds, code: result.code, output: result.output };
}

export async function syncBench(lines: string[]) {
  const kubectl = execFileSync("bash", [path.join(repoRoot, "scripts/toolchain/kubectl.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-bench-sync-"));
  const kube = await startKubernetes();
  const server = await serve(["--data", path.join(work, "store"), "--rate-limit", "6000000"], {
    TENANCY_BOOTSTRAP_TOKEN: adminToken,
    TENANCY_SECRET_KEY: secretKey,
    TENANCY_LOG_LEVEL: "info",
  });
  const admin = createApiClient(createHttpTransport({ endpoint: server.url, token: adminToken }));
  try {
    process.stderr.write(`bench: sync: declaring ${environments} environments\n`);
    // A tenancy cluster per run, all on this apiserver: each run is cold, and no run's sync prunes
    // another's objects (they carry their cluster's label).
    const clusters = Array.from({ length: reps }, (_, rep) => `bench${rep}`);
    for (const name of clusters) await admin.clusters.create({ name });
    await admin.domains.create({ name: "stage", tier: "non-production", clusters });
    await admin.defaults.put(
      { kind: "domain", domain: "stage" },
      { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "1Gi" } },
    );
    const projects = Math.ceil(environments / 100);
    for (let p = 0; p < projects; p++) {
      const project = `p${p}`;
      await admin.projects.create({ name: project });
      await admin.roleBindings.create(project, { subject: "team:devs", role: "developer" });
      await admin.roleBindings.create(project, { subject: "team:ops", role: "viewer" });
      for (let e = p * 100; e < Math.min(environments, (p + 1) * 100); e++) {
        const environment = `e${e}`;
        await admin.environments.create(project, { domain: "stage", name: environment });
        await admin.quotas.put(project, environment, { cpu: "4", memory: "8Gi" });
        await admin.secrets.create(project, environment, { name: "db-password", value: `value-${e}` });
      }
    }
    const envs: NodeJS.ProcessEnv[] = [];
    for (const cluster of clusters) {
      const token = (await admin.tokens.create({ name: `sync-${cluster}`, subject: "service:sync", cluster }))
        .token;
      envs.push({ TENANCY_ENDPOINT: server.url, TENANCY_TOKEN: token, TENANCY_LOG_LEVEL: "info" });
    }
    const snapshot = await admin.clusters.snapshot(clusters[0]!);
    const objects =
      snapshot.environments.length *
      renderEnvironment(snapshot.environments[0]!, syncOptionsSchema.parse({ cluster: clusters[0] })).objects
        .length;

    // Cold: each run its own namespaces, sync and kubectl alternating.
    const samples = { sync: [] as number[], kubectl: [] as number[] };
    for (let rep = 0; rep < reps; rep++) {
      const syncTemplate = `s${rep}-{project}-{environment}`;
      const pass = await syncProcess(
        [
          "--cluster",
          clusters[rep]!,
          "--kubeconfig",
          kube.kubeconfig,
          "--once",
          "--namespace-template",
          syncTemplate,
        ],
        envs[rep]!,
      );
      if (pass.code !== 0) throw new Error(`cold sync exited ${pass.code}:\n${pass.output.slice(-3000)}`);
      samples.sync.push(pass.seconds);

      const options = syncOptionsSchema.parse({
        cluster: "bench-kubectl",
        namespaceTemplate: `k${rep}-{project}-{environment}`,
      });
      // Labelled as another manager's, so sync's own passes leave kubectl's objects alone.
      const documents = snapshot.environments.flatMap((placed) => {
        const rendered = renderEnvironment(placed, options);
        for (const object of rendered.objects) {
          object.metadata.labels = {
            ...object.metadata.labels,
            "app.kubernetes.io/managed-by": "bench-kubectl",
          };
        }
        return rendered.objects.map((object) =>
          object.kind === "Secret"
            ? {
                ...object,
                data: { value: Buffer.from(`value-${placed.environment.slice(1)}`).toString("base64") },
              }
            : object,
        );
      });
      // Namespaces first, as sync writes them.
      const file = path.join(work, `k${rep}.json`);
      fs.writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: documents }));
      const start = process.hrtime.bigint();
      const applied = spawnSync(
        kubectl,
        ["--kubeconfig", kube.kubeconfig, "apply", "--server-side", "--field-manager", "tenancy", "-f", file],
        {
          encoding: "utf8",
          maxBuffer: 1 << 28,
        },
      );
      if (applied.status !== 0)
        throw new Error(`kubectl apply exited ${applied.status}:\n${applied.stderr.slice(-3000)}`);
      samples.kubectl.push(Number(process.hrtime.bigint() - start) / 1e9);
      process.stderr.write(
        `bench: sync cold rep ${rep}: sync ${samples.sync.at(-1)!.toFixed(1)} s, kubectl ${samples.kubectl.at(-1)!.toFixed(1)} s\n`,
      );
    }
    const cold = median(samples.sync);
    const floor = median(samples.kubectl);
    target(
      `cold sync, ${environments} environments (${objects} objects)`,
      `${cold.toFixed(1)} s`,
      `${floor.toFixed(1)} s kubectl apply --server-side`,
      cold / floor,
      "≤ 1.0× kubectl",
      cold <= floor,
    );

    // A resync with nothing to change, on the last run's namespaces.
    const template = `s${reps - 1}-{project}-{environment}`;
    const last = clusters[reps - 1]!;
    const before = requestCount(server)!;
    const resync = await syncProcess(
      ["--cluster", last, "--kubeconfig", kube.kubeconfig, "--once", "--namespace-template", template],
      envs[reps - 1]!,
    );
    await new Promise((r) => setTimeout(r, 500)); // the control plane's last log lines
    const requests = requestCount(server)! - before;
    const writes = Number(/"writes":(\d+)/.exec(resync.output)?.[1] ?? NaN);
    target(
      `resync with nothing to change, ${environments} environments`,
      `${writes} writes to the apiserver, ${requests} requests to the control plane, ${resync.seconds.toFixed(1)} s`,
      "",
      undefined,
      "0 writes; requests not growing with environments",
      writes === 0 && requests <= 2,
    );

    // Change to cluster, while sync runs.
    const follower = spawn(
      process.execPath,
      [
        path.join(repoRoot, "dist/cli/main.js"),
        "sync",
        "--cluster",
        last,
        "--kubeconfig",
        kube.kubeconfig,
        "--namespace-template",
        template,
      ],
      { env: { ...process.env, ...envs[reps - 1], TENANCY_LOG_LEVEL: "warn" }, stdio: "ignore" },
    );
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(kube.kubeconfig);
      const seen = new Map<string, number>();
      const waiters = new Map<string, () => void>();
      const watch = await new Watch(kc).watch(
        "/api/v1/resourcequotas",
        { labelSelector: "app.kubernetes.io/managed-by=tenancy" },
        (_type, object: { metadata: { namespace: string }; spec: { hard: Record<string, string> } }) => {
          const key = `${object.metadata.namespace}=${object.spec.hard["requests.cpu"]}`;
          if (!seen.has(key)) seen.set(key, Date.now());
          waiters.get(key)?.();
        },
        () => undefined,
      );
      await new Promise((r) => setTimeout(r, 5_000)); // sync takes the lease and makes its first pass
      const latencies: number[] = [];
      for (let i = 0; i < changes; i++) {
        const e = (i * 37) % environments;
        const project = `p${Math.floor(e / 100)}`;
        const environment = `e${e}`;
        const cpu = String(5 + (i % 3));
        const namespace = template.replace("{project}", project).replace("{environment}", environment);
        const key = `${namespace}=${cpu}`;
        seen.delete(key);
        const arrived = new Promise<void>((resolve) => waiters.set(key, resolve));
        const quota = await admin.quotas.get(project, environment);
        await admin.quotas.put(project, environment, { cpu, memory: "8Gi" }, quota.version);
        const [written] = await admin.audit.list({
          action: "quota.update",
          targetId: `${project}/${environment}`,
          limit: "1",
        });
        await Promise.race([arrived, new Promise((r) => setTimeout(r, 30_000))]);
        waiters.delete(key);
        const at = seen.get(key);
        if (at === undefined) throw new Error(`change ${i} did not reach the cluster within 30 s`);
        latencies.push(at - new Date(written!.at).getTime());
      }
      watch.abort();
      const p50 = percentile(latencies, 50);
      const p99 = percentile(latencies, 99);
      target(
        `change to cluster, ${changes} quota changes, ${environments} environments`,
        `p50 ${p50} ms, p99 ${p99} ms`,
        "",
        undefined,
        "p99 ≤ 2 s",
        p99 <= 2000,
      );
      lines.push(
        "## Sync",
        "",
        `tenancy sync against kube-apiserver v1.34 (etcd, kube-controller-manager) on this machine; ${environments} environments of one domain in ${projects} projects, each with a quota, effective defaults, a secret and two role bindings (${objects} objects).`,
        "",
        "| figure | runs | median | spread |",
        "|---|---|---|---|",
        `| cold sync, \`tenancy sync --once\` (process, status reported) | ${samples.sync.length} | ${cold.toFixed(1)} s | ${spread(samples.sync)} s |`,
        `| cold apply, \`kubectl apply --server-side\` of the same objects (one List) | ${samples.kubectl.length} | ${floor.toFixed(1)} s | ${spread(samples.kubectl)} s |`,
        `| resync with nothing to change | 1 | ${resync.seconds.toFixed(1)} s | ${writes} apiserver writes, ${requests} control-plane requests |`,
        `| change to cluster (quota write to ResourceQuota in the watch) | ${changes} | p50 ${p50} ms | p99 ${p99} ms, max ${Math.max(...latencies)} ms |`,
        "",
      );
    } finally {
      follower.kill("SIGTERM");
    }
  } finally {
    await admin.close();
    await server.stop();
    await kube.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}
