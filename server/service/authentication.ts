// Authentication of every request: its bearer token looked up by hash, with the role bindings that
// speak for it in the project its route concerns (and, for a route that reads, the object read),
// the lookups of requests that arrive together batched into one statement.
import DataLoader from "dataloader";
import { sql, type Expression } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import { TenancyError } from "../../model";
import {
  systemClock,
  type Actor,
  type AuthenticatedRead,
  type Operand,
  type Queryable,
  type ServiceDeps,
} from "./context";
import { compiledOnce } from "./compiled-once";
import { effectiveQuery } from "./effective-config";
import { environmentRow } from "./environment-rows";
import { approvalRow } from "./request-decisions";
import { iso } from "./rows";

/** Requests looked up by one statement at most, and lookup statements out at once (of the pool's
 * ten connections by default): under load, the requests that arrive while they are out make the
 * next statement. */
const maxLookupsPerStatement = 64;
const maxStatementsInFlight = 4;
/** A token by its hash, with the role bindings that speak for it in one project. */
const tokenLookup = (q: Queryable, hash: Operand, project: Operand) =>
  q
    .selectFrom("tokens as t")
    .select([
      "t.id",
      "t.name",
      "t.subject",
      "t.teams",
      "t.org_admin",
      "t.cluster",
      "t.scim",
      "t.revoked_at",
      "t.expires_at",
    ])
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom("role_bindings as b")
          .select(["b.environment", "b.role", "b.expires_at"])
          .where("b.project", "=", project)
          .where(
            sql<boolean>`(b.subject = t.subject
              or b.subject in (select jsonb_array_elements_text(t.teams))
              or b.subject in (select 'team:' || m.team from team_members m where m.subject = t.subject))`,
          ),
      ).as("bindings"),
    )
    .where("t.token_hash", "=", hash);

/** What one request's authentication asks: its token's hash, the project its route concerns ("" for
 * none: no project has an empty name) and, for a route that reads with it, the environment. */
interface Lookup {
  hash: string;
  project: string;
  environment: string;
}

type Read = (q: Queryable, project: Operand, environment: Operand) => Expression<unknown>;

/** A token's lookup with, for a route that reads with it, the route's object beside it. */
const withReadOf = (
  q: Queryable,
  read: Read | undefined,
  hash: Operand,
  project: Operand,
  environment: Operand,
) =>
  tokenLookup(q, hash, project).select(() =>
    (read ? jsonObjectFrom(read(q, project, environment)) : sql<null>`null`).as("read"),
  );

/**
 * A request's lookup alone (`one`), and the lookups of many requests in one statement (`many`): a
 * row per request whose token exists (`i`, its place in the arrays), with the token's columns, the
 * bindings that speak for the token in its project and, with `read`, the route's object. A lookup
 * alone takes the plain statement: for one row it costs PostgreSQL less than the arrays and the
 * lateral join.
 */
const lookupAlone = (read?: Read) => {
  if (read) {
    const statement = compiledOnce((q, hash: string, project: string, environment: string) =>
      withReadOf(q, read, hash, project, environment),
    );
    return (q: Queryable, { hash, project, environment }: Lookup) => statement(q, hash, project, environment);
  }
  // Without a read, the environment is no parameter of the statement.
  const statement = compiledOnce((q, hash: string, project: string) =>
    withReadOf(q, undefined, hash, project, ""),
  );
  return (q: Queryable, { hash, project }: Lookup) => statement(q, hash, project);
};
const lookupStatements = (read?: Read) => ({
  one: lookupAlone(read),
  many: compiledOnce((q, hashes: string[], projects: string[], environments: string[]) =>
    q
      .selectFrom(
        sql<Lookup & { i: number }>`(select u.hash, u.project, u.environment, u.i::int as i
          from unnest(${hashes}::text[], ${projects}::text[], ${environments}::text[])
          with ordinality as u(hash, project, environment, i))`.as("r"),
      )
      .innerJoinLateral(
        () => withReadOf(q, read, sql.ref("r.hash"), sql.ref("r.project"), sql.ref("r.environment")).as("t"),
        (join) => join.onTrue(),
      )
      .selectAll("t")
      .select("r.i"),
  ),
});
const lookupsBy = {
  bindings: lookupStatements(),
  environment: lookupStatements(environmentRow),
  effective: lookupStatements(effectiveQuery),
  approval: lookupStatements(approvalRow),
} satisfies Record<AuthenticatedRead | "bindings", unknown>;
/** A token's row as a lookup reads it, without its place in a batch. */
type LookupRow = Omit<Awaited<ReturnType<ReturnType<typeof lookupStatements>["many"]>>[number], "i">;

/** Lets at most `limit` lookup statements be out at once; the others are sent in turn, as those
 * come back. */
function statementGate(limit: number) {
  let out = 0;
  const waiting: (() => void)[] = [];
  return {
    schedule(send: () => void) {
      if (out >= limit) return void waiting.push(send);
      out++;
      setImmediate(send);
    },
    done() {
      const next = waiting.shift();
      if (next) next();
      else out--;
    },
  };
}

/**
 * Requests that authenticate while earlier lookups are out are looked up together, in one
 * statement: under load, a runtime's reads cost PostgreSQL and the driver one statement per batch
 * instead of one per request (bench/README.md). A batch is sent only after each of its requests
 * arrived, so each sees every commit made before it: a token revoked or a binding deleted through
 * any server takes effect on the next request, and nothing is kept from one batch to the next.
 */
function batchedLookups(
  db: Queryable,
  statements: ReturnType<typeof lookupStatements>,
  gate: ReturnType<typeof statementGate>,
) {
  return new DataLoader<Lookup, LookupRow | null>(
    async (lookups) => {
      try {
        if (lookups.length === 1) {
          const [row] = await statements.one(db, lookups[0]!);
          return [row ?? null];
        }
        const rows = await statements.many(
          db,
          lookups.map((l) => l.hash),
          lookups.map((l) => l.project),
          lookups.map((l) => l.environment),
        );
        const byPlace = new Map(rows.map((row) => [row.i, row]));
        return lookups.map((_, i) => byPlace.get(i + 1) ?? null);
      } finally {
        gate.done();
      }
    },
    { cache: false, maxBatchSize: maxLookupsPerStatement, batchScheduleFn: gate.schedule },
  );
}

/** The bindings that still grant at `at`: an expired one grants nothing from its instant on. */
function grantingAt(
  bindings: { environment: string | null; role: string; expires_at: Date | string | null }[],
  at: Date,
) {
  return bindings
    .filter((b) => b.expires_at === null || new Date(b.expires_at) > at)
    .map(({ environment, role }) => ({ environment, role }));
}

/** A request's authentication, over the store `db`. */
export function authenticator({ db, clock = systemClock }: Pick<ServiceDeps, "db" | "clock">) {
  const gate = statementGate(maxStatementsInFlight);
  const lookups = {
    bindings: batchedLookups(db, lookupsBy.bindings, gate),
    environment: batchedLookups(db, lookupsBy.environment, gate),
    effective: batchedLookups(db, lookupsBy.effective, gate),
    approval: batchedLookups(db, lookupsBy.approval, gate),
  };
  /**
   * The actor a bearer token speaks for, by the token's hash (hashToken: the caller has it already,
   * for its rate limit); unauthorized when unknown, revoked or expired. Given the
   * project the request concerns, the same statement reads the role bindings that speak for the
   * token there (its subject, its teams, the teams the store lists it in), so the request's role
   * checks cost no further round trip. Nothing is cached: every request looks its token up.
   */
  return async function authenticate(
    hash: string | undefined,
    project?: string,
    read?: { read: AuthenticatedRead; environment: string },
  ): Promise<Actor> {
    if (!hash) throw new TenancyError("unauthorized", "send Authorization: Bearer <token>");
    // Without a project the bindings read are none (no project has an empty name).
    const withRead = read && project !== undefined ? read : undefined;
    const row = await lookups[withRead?.read ?? "bindings"].load({
      hash,
      project: project ?? "",
      environment: withRead?.environment ?? "",
    });
    if (!row) {
      throw new TenancyError("unauthorized", "the token is not valid");
    }
    if (row.revoked_at) throw new TenancyError("unauthorized", `token ${row.id} was revoked`);
    const at = clock.now();
    if (row.expires_at && new Date(row.expires_at) <= at) {
      throw new TenancyError("unauthorized", `token ${row.id} expired at ${iso(row.expires_at)}`);
    }
    return {
      tokenId: row.id,
      name: row.name,
      subject: row.subject,
      teams: row.teams,
      orgAdmin: row.org_admin,
      at,
      ...(row.cluster !== null ? { cluster: row.cluster } : {}),
      ...(row.scim ? { scim: true as const } : {}),
      ...(project !== undefined && row.cluster === null && !row.scim
        ? { rolesIn: { project, bindings: grantingAt(row.bindings, at) } }
        : {}),
      ...(withRead ? { prefetched: { ...withRead, project: project!, row: row.read } } : {}),
    };
  };
}
