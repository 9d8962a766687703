// An embedded store's folder is held by one process; a process that holds it for longer than a
// command (`tenancy serve`, a store kept open with TENANCY_KEEP_OPEN) answers the folder's other
// users on its socket, as the folder's owner, instead of refusing them with its lock.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createApiClient, createHttpTransport, type Transport } from "../../client";
import { TenancyError } from "../../model";
import { createEmbeddedTransport, keepOpenSeconds } from "../../provider/embedded";
import { openStore } from "../../server/store/open";
import { folderHolder, isAlive, serve } from "../../scripts/harness";
import { adminToken } from "./server";

function newFolder(): string {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-folder-"));
  fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
  return dataDir;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - start;
}

describe("api embedded folder held by another process", function () {
  this.timeout(120_000);
  const transports: Transport[] = [];
  const folders: string[] = [];
  const keptOpen = (dataDir: string, seconds: number) => {
    const transport = createEmbeddedTransport({ dataDir, keepOpenSeconds: seconds });
    transports.push(transport);
    return transport;
  };
  const folder = () => {
    const dataDir = newFolder();
    folders.push(dataDir);
    return dataDir;
  };

  afterEach(async () => {
    for (const transport of transports.splice(0)) await transport.close?.();
    for (const dataDir of folders.splice(0)) {
      const pid = folderHolder(dataDir);
      if (pid !== undefined && pid !== process.pid && isAlive(pid)) process.kill(pid, "SIGKILL");
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("goes through `tenancy serve` on the same folder, as the folder's owner", async () => {
    const dataDir = folder();
    const server = await serve(["--data", dataDir], { TENANCY_BOOTSTRAP_TOKEN: adminToken });
    try {
      const socket = path.join(dataDir, "tenancy.sock");
      assert.equal(fs.statSync(socket).mode & 0o777, 0o600, "the socket is its owner's only");
      const embedded = createEmbeddedTransport({ dataDir });
      transports.push(embedded);
      // Without the socket, this open was refused: "the data folder … is in use by process …".
      await createApiClient(embedded).domains.create({ name: "staging", tier: "non-production" });
      const overHttp = createHttpTransport({ endpoint: server.url, token: adminToken });
      transports.push(overHttp);
      const http = createApiClient(overHttp);
      assert.equal((await http.domains.get("staging")).tier, "non-production");
      const [entry] = await http.audit.list({ targetKind: "Domain", targetId: "staging" });
      assert.equal(entry?.actor, "local");
      // A token on the socket acts as that token, and a wrong one is refused as anywhere else.
      const withToken = createEmbeddedTransport({ dataDir, token: adminToken });
      const wrongToken = createEmbeddedTransport({ dataDir, token: "tnc_" + "x".repeat(40) });
      transports.push(withToken, wrongToken);
      assert.equal((await createApiClient(withToken).domains.get("staging")).name, "staging");
      await assert.rejects(createApiClient(wrongToken).domains.get("staging"), (err: unknown) => {
        assert.ok(TenancyError.isInstance(err));
        assert.equal(err.code, "unauthorized");
        return true;
      });
    } finally {
      await server.stop();
    }
    assert.ok(!fs.existsSync(path.join(dataDir, "tenancy.sock")), "socket left behind");
    // Stopped, the folder opens in process again, with what was written through the server.
    const after = createEmbeddedTransport({ dataDir });
    transports.push(after);
    assert.equal((await createApiClient(after).domains.get("staging")).name, "staging");
  });

  it("serves a folder whose path is too long for a socket over HTTP only, and says so", async () => {
    const parent = folder();
    const dataDir = path.join(parent, "d".repeat(100));
    fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
    const server = await serve(["--data", dataDir], { TENANCY_BOOTSTRAP_TOKEN: adminToken });
    try {
      // The warning is on standard error, which may arrive after the line that says it listens.
      await until("the warning", () => /too long for its socket/.test(server.output()), 10_000);
      assert.ok(!fs.existsSync(path.join(dataDir, "tenancy.sock")));
      const overHttp = createHttpTransport({ endpoint: server.url, token: adminToken });
      transports.push(overHttp);
      assert.ok(Array.isArray(await createApiClient(overHttp).domains.list()));
      await assert.rejects(createApiClient(keptOpen(dataDir, 5)).domains.list(), (err: unknown) => {
        assert.ok(TenancyError.isInstance(err));
        assert.equal(err.code, "validation_failed");
        assert.equal(err.errors?.[0]?.path, "TENANCY_KEEP_OPEN");
        return true;
      });
    } finally {
      await server.stop();
    }
  });

  it("keeps the store open between commands until nobody has been connected for its idle time", async () => {
    const dataDir = folder();
    const first = keptOpen(dataDir, 2);
    await createApiClient(first).domains.create({ name: "staging", tier: "non-production" });
    const keeper = folderHolder(dataDir);
    assert.ok(
      keeper !== undefined && keeper !== process.pid && isAlive(keeper),
      "a separate process holds it",
    );
    // Connected, it stays open past its idle time.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    assert.equal((await createApiClient(first).domains.get("staging")).name, "staging");
    await first.close?.();
    // The next command finds it open.
    const second = keptOpen(dataDir, 2);
    assert.equal((await createApiClient(second).domains.get("staging")).tier, "non-production");
    assert.equal(folderHolder(dataDir), keeper);
    await second.close?.();
    const waited = await until("the kept-open store exits", () => !isAlive(keeper!), 10_000);
    assert.ok(waited >= 1_500, `it exited ${waited} ms after its last user, before its idle time`);
    assert.equal(folderHolder(dataDir), undefined, "the folder is left unlocked");
    assert.ok(!fs.existsSync(path.join(dataDir, "tenancy.sock")), "socket left behind");
    const inProcess = createEmbeddedTransport({ dataDir, keepOpenSeconds: 0 });
    transports.push(inProcess);
    assert.equal((await createApiClient(inProcess).domains.get("staging")).name, "staging");
  });

  it("reports why a store could not be kept open: the folder held by a process without a socket", async () => {
    const dataDir = folder();
    const store = await openStore({ kind: "pglite", dataDir });
    try {
      await assert.rejects(createApiClient(keptOpen(dataDir, 5)).domains.list(), (err: unknown) => {
        assert.ok(TenancyError.isInstance(err));
        assert.equal(err.code, "conflict");
        assert.match(err.message, new RegExp(`in use by process ${process.pid}`));
        return true;
      });
    } finally {
      await store.close();
    }
  });

  it("lets go of a folder opened in process when any of its transports closes, one that sent nothing too", async () => {
    const dataDir = folder();
    const used = createEmbeddedTransport({ dataDir, keepOpenSeconds: 0 });
    transports.push(used);
    await createApiClient(used).domains.list();
    assert.equal(folderHolder(dataDir), process.pid);
    await createEmbeddedTransport({ dataDir, keepOpenSeconds: 0 }).close?.();
    assert.equal(folderHolder(dataDir), undefined, "the folder is still open in this process");
  });

  it("refuses a TENANCY_KEEP_OPEN that is not whole seconds up to a day, naming it", () => {
    assert.equal(keepOpenSeconds({}), 0);
    assert.equal(keepOpenSeconds({ TENANCY_KEEP_OPEN: "300" }), 300);
    assert.equal(keepOpenSeconds({ TENANCY_KEEP_OPEN: "86400" }), 86_400);
    for (const value of ["5m", "-1", "1.5", "0x10", "86401"]) {
      assert.throws(
        () => keepOpenSeconds({ TENANCY_KEEP_OPEN: value }),
        (err: unknown) =>
          TenancyError.isInstance(err) &&
          err.code === "validation_failed" &&
          err.errors?.[0]?.path === "TENANCY_KEEP_OPEN",
      );
    }
  });
});
