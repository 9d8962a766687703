// What every service operation receives: who is calling, and the service's dependencies.
import type { Expression, Kysely, Transaction } from "kysely";
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
  /** The request's instant, by the service's clock: role bindings that expire at or before it grant
   * nothing. Unset: now. */
  at?: Date;
  /** A sync token's cluster: its whole authority is to read what is placed there and report its
   * status; its subject's role bindings do not apply. */
  cluster?: string;
  /** A directory token: it reaches /scim/v2 and nothing else, and nothing else reaches /scim/v2. */
  scim?: true;
  /**
   * The role bindings that speak for the actor in one project, read in the same statement as its
   * token at the start of the request (see tokens.authenticate): the request's role checks in that
   * project use them instead of asking again. Read afresh at every request, so a binding deleted
   * or a token revoked through any server takes effect on the next request.
   */
  rolesIn?: { project: string; bindings: { environment: string | null; role: string }[] };
  /**
   * The object the request's route reads, read by the authentication's own statement (one round
   * trip, and the same snapshot as the bindings): null when there is no such object. The route's
   * role check still runs before any of it is answered.
   */
  prefetched?: { read: AuthenticatedRead; project: string; environment: string; row: unknown };
}

/** Reads a route may ask its request's authentication to make (see tokens.authenticate). */
export type AuthenticatedRead = "environment" | "effective" | "approval";

/** The row the authentication read for `read` of this environment, if it did: null when the object
 * does not exist, undefined when it was not read (another route, or no token). */
export function prefetchedRow<Row>(
  actor: Actor,
  read: AuthenticatedRead,
  project: string,
  environment: string,
): Row | null | undefined {
  const p = actor.prefetched;
  return p && p.read === read && p.project === project && p.environment === environment
    ? (p.row as Row | null)
    : undefined;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface ServiceDeps {
  db: Kysely<Database>;
  keyring: Keyring;
  clock?: Clock;
  /** The longest access an access request may ask for (`--max-access`), e.g. `8h`. */
  maxAccess?: string;
}

export type Tx = Transaction<Database>;

/** The version a write expects the object to have (from If-Match); undefined when none was sent. */
export type ExpectedVersion = number | undefined;

/** Where a query runs: a transaction, or the database itself for reads that need none. */
export type Queryable = Kysely<Database>;

/** A value a statement compares with: a parameter, or a column of an enclosing query (the batched
 * authentication reads many requests' objects in one statement, each row with its own names). */
export type Operand<T = string> = T | Expression<T>;

/** A row as it comes back inside a JSON aggregate: its timestamps are strings. */
export type Jsonable<Row> = { [K in keyof Row]: Row[K] extends Date ? Date | string : Row[K] };
