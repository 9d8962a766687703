// The engine starts each provider in a process group of its own, so a `pulumi up` killed with its
// group leaves the provider process running: the dynamic-provider host never exits by itself, and
// over the embedded store it keeps the folder locked. Once the engine that started it is gone,
// nothing can call it again: the provider closes its client (and the store) and exits.
import * as net from "node:net";

const checkEveryMs = 1000;
const closeWithinMs = 5000;

let watching = false;

/** Whether something still listens at `host:port` (the engine's gRPC address). */
function listening(address: string): Promise<boolean> {
  const separator = address.lastIndexOf(":");
  const port = Number(address.slice(separator + 1));
  if (separator < 0 || !Number.isInteger(port)) return Promise.resolve(true); // not an address: never judged gone
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.slice(0, separator), port });
    socket.setTimeout(checkEveryMs);
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    // Only a refusal says the engine is gone; a slow answer is a busy engine.
    socket.once("timeout", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err.code !== "ECONNREFUSED"));
  });
}

/**
 * Ends this provider process once its engine is gone: its parent changed (the launcher ran it with
 * `exec`), or nothing listens any more at the engine address the host was started with (a launcher
 * that waits for it). Started once per process, from the first configure.
 */
export function exitWhenEngineGone(close: () => Promise<void>, engineAddress = process.argv[2]): void {
  if (watching) return;
  watching = true;
  const parent = process.ppid;
  const engineGone = async () =>
    process.ppid !== parent || (engineAddress !== undefined && !(await listening(engineAddress)));
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void engineGone().then((gone) => {
      checking = false;
      if (!gone) return;
      clearInterval(timer);
      setTimeout(() => process.exit(1), closeWithinMs);
      void close().finally(() => process.exit(1));
    });
  }, checkEveryMs);
  timer.unref();
}
