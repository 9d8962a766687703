// What a write request says beside its body: which Pulumi resource sends it (owner), the claim it
// holds on the object, whether it takes the object over (adopt), and whether it is a dry run. Set
// once per request by the HTTP layer, read where rows are written, so every kind's operations keep
// their signatures.
import { AsyncLocalStorage } from "node:async_hooks";
import type { ManagedBy } from "../../model";
import type { Tx } from "./context";

export interface WriteContext {
  owner?: ManagedBy;
  claim?: string;
  adopt: boolean;
  dryRun: boolean;
  /** An approved change request being applied: runs first in the write's transaction (which it
   * joins, so the request is marked applied exactly when the write commits). */
  approving?: (tx: Tx) => Promise<void>;
}

const none: WriteContext = { adopt: false, dryRun: false };
const storage = new AsyncLocalStorage<WriteContext>();

export function withWriteContext<T>(context: WriteContext, body: () => Promise<T>): Promise<T> {
  return storage.run(context, body);
}

export function writeContext(): WriteContext {
  return storage.getStore() ?? none;
}
