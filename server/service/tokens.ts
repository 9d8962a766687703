// API tokens: issued to a subject with its teams, stored as a sha256 hash, shown once, revocable,
// optionally expiring.
import { createHash, randomBytes } from "node:crypto";
import DataLoader from "dataloader";
import { sql, type Expression, type Selectable } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import { TenancyError, parseOrThrow, tokenCreateSchema, type Token } from "../../model";
import type { TokenTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import {
  systemClock,
  type Actor,
  type AuthenticatedRead,
  type Operand,
  type Queryable,
  type ServiceDeps,
  type Tx,
} from "./context";
import { effectiveQuery } from "./effective-config";
import { environmentRow } from "./environments";
import { compiledOnce } from "./compiled-once";
import { createOnce } from "./idempotency";
import { notFound } from "./errors";
import { checkClaim, managedByOf, ownershipOnCreate } from "./ownership";
import { iso } from "./rows";
import { audit, transaction } from "./transaction";

const kind = "Token";
/** Requests looked up by one statement at most, and lookup statements out at once (of the pool's
 * ten connections by default): under load, the requests that arrive while they are out make the
 * next statement. */
const maxLookupsPerStatement = 64;
const maxStatementsInFlight = 4;
const tokenPrefix = "tny_";

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

function newTokenSecret(): string {
  return tokenPrefix + randomBytes(32).toString("base64url");
}

function toToken(row: Selectable<TokenTable>): Token {
  return {
    id: row.id,
    name: row.name,
    subject: row.subject,
    teams: row.teams,
    orgAdmin: row.org_admin,
    ...(row.expires_at ? { expiresAt: iso(row.expires_at) } : {}),
    ...(row.revoked_at ? { revokedAt: iso(row.revoked_at) } : {}),
    createdAt: iso(row.created_at),
    managedBy: managedByOf(row),
  };
}

const bootstrapActor: Actor = {
  tokenId: "bootstrap",
  name: "bootstrap",
  subject: "service:bootstrap",
  teams: [],
  orgAdmin: true,
};

/** A token by its hash, with the role bindings that speak for it in one project. */
const tokenLookup = (q: Queryable, hash: Operand, project: Operand) =>
  q
    .selectFrom("tokens as t")
    .select(["t.id", "t.name", "t.subject", "t.teams", "t.org_admin", "t.revoked_at", "t.expires_at"])
    .select((eb) =>
      jsonArrayFrom(
        eb
          .selectFrom("role_bindings as b")
          .select(["b.environment", "b.role"])
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

export function tokenService({ db, keyring, clock = systemClock }: ServiceDeps) {
  const gate = statementGate(maxStatementsInFlight);
  const lookups = {
    bindings: batchedLookups(db, lookupsBy.bindings, gate),
    environment: batchedLookups(db, lookupsBy.environment, gate),
    effective: batchedLookups(db, lookupsBy.effective, gate),
  };
  async function insert(
    tx: Tx,
    actor: Actor,
    input: { name: string; subject: string; teams?: string[]; orgAdmin?: boolean; expiresAt?: string },
    secret: string,
  ) {
    const now = clock.now();
    const row = await tx
      .insertInto("tokens")
      .values({
        id: `tok_${randomBytes(9).toString("base64url")}`,
        name: input.name,
        subject: input.subject,
        teams: JSON.stringify(input.teams ?? []),
        org_admin: input.orgAdmin ?? false,
        token_hash: hashToken(secret),
        expires_at: input.expiresAt ?? null,
        created_at: now,
        ...ownershipOnCreate(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const token = toToken(row);
    await audit(tx, actor, now, "token.create", { kind, id: token.id }, undefined, token);
    return token;
  }

  return {
    /** Issues a token; the secret is in this response only. */
    async create(actor: Actor, body: unknown, idempotencyKey?: string): Promise<Token & { token: string }> {
      requireOrgAdmin(actor, "issue tokens");
      const input = parseOrThrow(tokenCreateSchema, body, "token");
      if (input.expiresAt !== undefined && new Date(input.expiresAt) <= clock.now()) {
        throw new TenancyError("validation_failed", "expiresAt is in the past", {
          errors: [{ path: "expiresAt", message: "must be in the future" }],
        });
      }
      // The idempotency record keeps metadata only, never the secret: a replayed create cannot
      // show the secret again, and says so.
      const secret = newTokenSecret();
      const request = { key: idempotencyKey, operation: "token.create", body: input };
      let issued = false;
      const token = await createOnce(db, keyring, actor, request, { kind, id: input.name }, async (tx) => {
        issued = true;
        return insert(tx, actor, input, secret);
      });
      if (!issued) {
        throw new TenancyError(
          "conflict",
          `token ${token.id} was already issued for this Idempotency-Key; its secret is shown only once`,
          {
            target: { kind, id: token.id },
          },
        );
      }
      return { ...token, token: secret };
    },

    async list(actor: Actor): Promise<Token[]> {
      requireOrgAdmin(actor, "list tokens");
      const rows = await db.selectFrom("tokens").selectAll().orderBy("created_at").execute();
      return rows.map(toToken);
    },

    async get(actor: Actor, id: string): Promise<Token> {
      requireOrgAdmin(actor, "read tokens");
      const row = await db.selectFrom("tokens").selectAll().where("id", "=", id).executeTakeFirst();
      if (!row) throw notFound(kind, id);
      return toToken(row);
    },

    /** Revokes a token: every server refuses it from the next request. Revoking a revoked token is
     * a no-op. */
    async revoke(actor: Actor, id: string): Promise<Token> {
      requireOrgAdmin(actor, "revoke tokens");
      const revoked = await transaction(db, { kind, id }, async (tx) => {
        const before = await tx
          .selectFrom("tokens")
          .selectAll()
          .where("id", "=", id)
          .forUpdate()
          .executeTakeFirst();
        if (!before) throw notFound(kind, id);
        checkClaim(kind, id, before);
        if (before.revoked_at) return toToken(before);
        const now = clock.now();
        const row = await tx
          .updateTable("tokens")
          .set({ revoked_at: now })
          .where("id", "=", id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(tx, actor, now, "token.revoke", { kind, id }, toToken(before), toToken(row));
        return toToken(row);
      });
      return revoked;
    },

    /**
     * The actor a bearer token speaks for, by the token's hash (hashToken: the caller has it already,
     * for its rate limit); unauthorized when unknown, revoked or expired. Given the
     * project the request concerns, the same statement reads the role bindings that speak for the
     * token there (its subject, its teams, the teams the store lists it in), so the request's role
     * checks cost no further round trip. Nothing is cached: every request looks its token up.
     */
    async authenticate(
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
      if (row.expires_at && new Date(row.expires_at) <= clock.now()) {
        throw new TenancyError("unauthorized", `token ${row.id} expired at ${iso(row.expires_at)}`);
      }
      return {
        tokenId: row.id,
        name: row.name,
        subject: row.subject,
        teams: row.teams,
        orgAdmin: row.org_admin,
        ...(project !== undefined ? { rolesIn: { project, bindings: row.bindings } } : {}),
        ...(withRead ? { prefetched: { ...withRead, project: project!, row: row.read } } : {}),
      };
    },

    /**
     * With no tokens yet, creates the org admin token `bootstrap` (the given secret, or a new one)
     * and returns its secret; returns undefined when tokens exist.
     */
    async bootstrap(given?: string): Promise<string | undefined> {
      if (given !== undefined && given.length < 20) {
        throw new Error("TENANCY_BOOTSTRAP_TOKEN must be at least 20 characters");
      }
      return transaction(db, { kind, id: "bootstrap" }, async (tx) => {
        // Serializes concurrent first starts on one database.
        await sql`lock table tokens in exclusive mode`.execute(tx);
        const any = await tx.selectFrom("tokens").select("id").limit(1).executeTakeFirst();
        if (any) return undefined;
        const secret = given ?? newTokenSecret();
        await insert(
          tx,
          bootstrapActor,
          { name: "bootstrap", subject: "service:bootstrap", orgAdmin: true },
          secret,
        );
        return secret;
      });
    },
  };
}
