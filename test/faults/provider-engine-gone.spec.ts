// A provider process outlives a killed `pulumi up` unless it notices its engine is gone. It used to
// start watching at its first configure, so a provider whose engine died before that call (killed
// right after starting its plugins) lingered for good. The launcher now loads the watch first.
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as net from "node:net";
import { repoRoot } from "../../scripts/harness";

/** Resolves with the exit code once `child` exits, or undefined after `ms`. */
function exitWithin(child: ReturnType<typeof spawn>, ms: number): Promise<number | null | undefined> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    const timer = setTimeout(() => resolve(undefined), ms);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe("faults: a provider whose engine is gone before its first configure", function () {
  this.timeout(60_000);

  it("exits on its own instead of lingering", async () => {
    // The engine's gRPC address, as the engine passes it to the provider it starts.
    const engine = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => engine.listen(0, "127.0.0.1", resolve));
    const { port } = engine.address() as net.AddressInfo;
    const provider = spawn("pulumi-resource-pulumi-nodejs", [`127.0.0.1:${port}`], {
      cwd: repoRoot, // a program folder that resolves tenancy and @pulumi/pulumi
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      // The host prints its own port once it serves: it started and was never configured.
      const served = await new Promise<string>((resolve, reject) => {
        provider.stdout!.once("data", (data: Buffer) => resolve(data.toString().trim()));
        provider.once("exit", (code) => reject(new Error(`the provider exited early (${code})`)));
      });
      assert.match(served, /^\d+$/);
      assert.equal(await exitWithin(provider, 2_000), undefined, "it serves while its engine listens");
      await new Promise<void>((resolve) => engine.close(() => resolve()));
      assert.notEqual(await exitWithin(provider, 15_000), undefined, "it exits once its engine is gone");
    } finally {
      provider.kill("SIGKILL");
      engine.close();
    }
  });
});
