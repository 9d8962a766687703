// API tokens: issued to a subject with its teams, stored as a sha256 hash, shown once, revocable,
// optionally expiring.
import { createHash, randomBytes } from "node:crypto";
import { sql, type Expression, type Selectable } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import { TenancyError, parseOrThrow, tokenCreateSchema, type Token } from "../../model";
import type { TokenTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import {
  systemClock,
  type Actor,
  type AuthenticatedRead,
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
const tokenLookup = (q: Queryable, hash: string, project: string) =>
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

const tokenWithBindings = compiledOnce(tokenLookup);

/** The token statement with a route's read beside it: the hot reads of a runtime (its environment,
 * its effective configuration) cost one round trip with their authentication. */
const withRead = <Row>(read: (q: Queryable, project: string, environment: string) => Expression<Row>) =>
  compiledOnce((q, hash: string, project: string, environment: string) =>
    tokenLookup(q, hash, project).select(() => jsonObjectFrom(read(q, project, environment)).as("read")),
  );
const tokenWithRead = {
  environment: withRead(environmentRow),
  effective: withRead(effectiveQuery),
} satisfies Record<AuthenticatedRead, unknown>;

export function tokenService({ db, keyring, clock = systemClock }: ServiceDeps) {
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
      const [row] = withRead
        ? await tokenWithRead[withRead.read](db, hash, project!, withRead.environment)
        : await tokenWithBindings(db, hash, project ?? "");
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
        ...(withRead && "read" in row
          ? { prefetched: { ...withRead, project: project!, row: row.read } }
          : {}),
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
