// A throwaway Kubernetes control plane: etcd, kube-apiserver and kube-controller-manager (its
// resource-quota and namespace controllers) from scripts/toolchain/kubernetes.sh, on free ports in
// a temporary folder, with certificates and a service-account key made here. No kubelet: the
// apiserver admits or refuses a Pod before any node would run it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { repoRoot } from "./commands";
import { freePort } from "./postgres-cluster";

export interface KubernetesControlPlane {
  /** A kubeconfig of a cluster admin (system:masters). */
  kubeconfig: string;
  dir: string;
  /** Stops the apiserver alone (etcd and the controller keep running). */
  stopApiserver(): Promise<void>;
  startApiserver(): Promise<void>;
  stop(): Promise<void>;
}

/** The folder holding the binaries, built when missing. */
export function kubernetesBinaries(): string {
  return execFileSync("bash", [path.join(repoRoot, "scripts/toolchain/kubernetes.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  }).trim();
}

function openssl(dir: string, args: string[]) {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

/** A CA, the apiserver's serving certificate for 127.0.0.1, an admin client certificate and the
 * service-account key pair. */
function makeCertificates(dir: string) {
  openssl(dir, [
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
    "-days",
    "2",
    "-subj",
    "/CN=tenancy-test-ca",
  ]);
  const signed = (name: string, subject: string, extensions: string) => {
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(dir, [
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
    ]);
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "2",
      "-extfile",
      `${name}.ext`,
    ]);
  };
  signed(
    "apiserver",
    "/CN=kube-apiserver",
    "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n",
  );
  signed("admin", "/O=system:masters/CN=tenancy-test-admin", "extendedKeyUsage=clientAuth\n");
  openssl(dir, ["genrsa", "-out", "sa.key", "2048"]);
  openssl(dir, ["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"]);
}

function kubeconfigFor(dir: string, port: number): string {
  const file = path.join(dir, "kubeconfig");
  const b64 = (name: string) => fs.readFileSync(path.join(dir, name)).toString("base64");
  fs.writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        {
          name: "test",
          cluster: { server: `https://127.0.0.1:${port}`, "certificate-authority-data": b64("ca.crt") },
        },
      ],
      users: [
        {
          name: "admin",
          user: { "client-certificate-data": b64("admin.crt"), "client-key-data": b64("admin.key") },
        },
      ],
      contexts: [{ name: "test", context: { cluster: "test", user: "admin" } }],
      "current-context": "test",
    }),
  );
  return file;
}

function started(name: string, bin: string, args: string[], dir: string): ChildProcess {
  const log = fs.openSync(path.join(dir, `${name}.log`), "a");
  return spawn(path.join(bin, name), args, { stdio: ["ignore", log, log] });
}

async function stopped(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

async function until(what: string, ready: () => Promise<boolean>, timeoutMs: number, logs: string) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs} ms; see ${logs}`);
}

export async function startKubernetes(): Promise<KubernetesControlPlane> {
  const bin = kubernetesBinaries();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-kube-"));
  makeCertificates(dir);
  const [etcdPort, etcdPeerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const etcd = started(
    "etcd",
    bin,
    [
      "--data-dir",
      path.join(dir, "etcd"),
      "--listen-client-urls",
      `http://127.0.0.1:${etcdPort}`,
      "--advertise-client-urls",
      `http://127.0.0.1:${etcdPort}`,
      "--listen-peer-urls",
      `http://127.0.0.1:${etcdPeerPort}`,
      "--initial-advertise-peer-urls",
      `http://127.0.0.1:${etcdPeerPort}`,
      "--initial-cluster",
      `default=http://127.0.0.1:${etcdPeerPort}`,
      "--unsafe-no-fsync",
    ],
    dir,
  );
  const kubeconfig = kubeconfigFor(dir, apiPort);
  const apiserverArgs = [
    "--etcd-servers",
    `http://127.0.0.1:${etcdPort}`,
    "--bind-address",
    "127.0.0.1",
    "--advertise-address",
    "127.0.0.1",
    "--secure-port",
    String(apiPort),
    "--cert-dir",
    path.join(dir, "apiserver-certs"),
    "--tls-cert-file",
    path.join(dir, "apiserver.crt"),
    "--tls-private-key-file",
    path.join(dir, "apiserver.key"),
    "--client-ca-file",
    path.join(dir, "ca.crt"),
    "--service-account-issuer",
    "https://kubernetes.default.svc",
    "--service-account-key-file",
    path.join(dir, "sa.pub"),
    "--service-account-signing-key-file",
    path.join(dir, "sa.key"),
    "--service-cluster-ip-range",
    "10.96.0.0/24",
    "--authorization-mode",
    "RBAC",
    // Pods here never run; the default service account is the serviceaccount controller's, not ours.
    "--disable-admission-plugins",
    "ServiceAccount",
  ];
  let apiserver: ChildProcess | undefined;
  let manager: ChildProcess | undefined;
  const caOpts = [
    "--cacert",
    path.join(dir, "ca.crt"),
    "--cert",
    path.join(dir, "admin.crt"),
    "--key",
    path.join(dir, "admin.key"),
  ];
  const apiReady = async () => {
    const out = execFileSync("curl", ["-s", ...caOpts, `https://127.0.0.1:${apiPort}/readyz`], {
      encoding: "utf8",
    });
    return out.trim() === "ok";
  };
  const plane: KubernetesControlPlane = {
    kubeconfig,
    dir,
    async startApiserver() {
      apiserver = started("kube-apiserver", bin, apiserverArgs, dir);
      await until("kube-apiserver", apiReady, 90_000, path.join(dir, "kube-apiserver.log"));
    },
    async stopApiserver() {
      await stopped(apiserver);
    },
    async stop() {
      await stopped(manager);
      await stopped(apiserver);
      await stopped(etcd);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await plane.startApiserver();
    manager = started(
      "kube-controller-manager",
      bin,
      [
        "--kubeconfig",
        kubeconfig,
        "--controllers",
        "resourcequota,namespace,garbagecollector",
        "--leader-elect=false",
        "--secure-port",
        "0",
        "--concurrent-resource-quota-syncs",
        "2",
      ],
      dir,
    );
    return plane;
  } catch (err) {
    await plane.stop().catch(() => undefined);
    throw err;
  }
}
