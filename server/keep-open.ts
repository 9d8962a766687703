// A store kept open between commands (TENANCY_KEEP_OPEN). The first command that needs the folder
// starts this process, detached; it holds the folder and answers on the folder's socket until no
// process has been connected for the given seconds, then closes the store and exits, leaving the
// folder unlocked. `node keep-open.js <folder> <idle seconds>`; a failure to start is one JSON line
// ({code, message}) on standard error, which the starting command reports.
import * as fs from "node:fs";
import { z } from "zod";
import { TenancyError } from "../model";
import { openFolder, listenOnFolder, type OpenFolder } from "./folder";
import { folderSocketPath } from "./folder-socket";

const args = z.tuple([z.string().min(1), z.coerce.number().int().positive()]);

/** How long a start waits for a holder that is closing the folder to let go of it. */
const lockWaitMs = 5_000;

async function openWhenFree(dataDir: string): Promise<OpenFolder> {
  const deadline = Date.now() + lockWaitMs;
  for (;;) {
    try {
      return await openFolder(dataDir);
    } catch (err) {
      if (!TenancyError.isInstance(err) || err.code !== "conflict" || Date.now() >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

async function main() {
  const [dataDir, idleSeconds] = args.parse(process.argv.slice(2));
  // The starting command checks this too; a folder without a socket would be held for nobody.
  const socketPath = folderSocketPath(dataDir);
  if (!socketPath) {
    throw new TenancyError("validation_failed", `the folder's path is too long for its socket: ${dataDir}`);
  }
  const folder = await openWhenFree(dataDir);
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      // New clients find no socket and start their own holder, which waits for this one's lock.
      fs.rmSync(socketPath, { force: true });
      await folder.close();
    })().then(
      () => process.exit(0),
      (err: Error) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
      },
    ));
  let connections = 0;
  let idle: NodeJS.Timeout | undefined;
  const waitForIdle = () => {
    idle = setTimeout(stop, idleSeconds * 1000);
  };
  folder.app.server.on("connection", (socket) => {
    connections++;
    clearTimeout(idle);
    socket.once("close", () => {
      if (--connections === 0) waitForIdle();
    });
  });
  try {
    await listenOnFolder(folder.app, dataDir);
  } catch (err) {
    await folder.close();
    throw err;
  }
  waitForIdle();
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: Error) => {
  const code = TenancyError.isInstance(err) ? err.code : "unavailable";
  process.stderr.write(JSON.stringify({ code, message: err.message }) + "\n");
  process.exit(1);
});
