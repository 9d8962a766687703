// Where an embedded store's folder answers the processes of its owner (see ./folder): kept apart
// from the server so a client finds the socket without loading the server.
import * as path from "node:path";

// sun_path holds 108 bytes on Linux, its terminating NUL included.
const socketPathLimit = 107;

/** The folder's socket, or undefined when the folder's path is too long for one. */
export function folderSocketPath(dataDir: string): string | undefined {
  const socketPath = path.join(path.resolve(dataDir), "tenancy.sock");
  return Buffer.byteLength(socketPath) <= socketPathLimit ? socketPath : undefined;
}
