// What every service operation receives: who is calling, and the service's dependencies.
import type { Kysely, Transaction } from "kysely";
import type { Database } from "../store/schema";
import type { Keyring } from "./crypto";

/** The caller, as its token describes it. */
export interface Actor {
  tokenId: string;
  /** The token's name: what the audit log records as the actor. */
  name: string;
  subject: string;
  teams: string[];
  orgAdmin: boolean;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ServiceDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  clock?: Clock;
  /** How long a token's identity is reused without looking the token up again (default 0: never). */
  tokenCacheMs?: number;
}

export type Tx = Transaction<Database>;

/** The version a write expects the object to have (from If-Match); undefined when none was sent. */
export type ExpectedVersion = number | undefined;

/** Where a query runs: a transaction, or the database itself for reads that need none. */
export type Queryable = Kysely<Database>;

/** A row as it comes back inside a JSON aggregate: its timestamps are strings. */
export type Jsonable<Row> = { [K in keyof Row]: Row[K] extends Date ? Date | string : Row[K] };
