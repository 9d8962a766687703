// API tokens: issued to a subject with its teams, stored as a sha256 hash, shown once, revocable,
// optionally expiring.
import { createHash, randomBytes } from "node:crypto";
import { sql, type Selectable } from "kysely";
import { TenancyError, parseOrThrow, tokenCreateSchema, type Token } from "../../model";
import type { TokenTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import { systemClock, type Actor, type Clock, type ServiceDeps, type Tx } from "./context";
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

/**
 * Actors of recently seen tokens, so a request does not look its token up again within `ttlMs`.
 * A token revoked here is dropped at once; other processes sharing the database refuse it once
 * their entry ages out. Entries never outlive the token's expiry.
 */
function actorCache(ttlMs: number, clock: Clock) {
  const maxEntries = 10_000;
  const entries = new Map<string, { actor: Actor; until: number }>();
  return {
    get(hash: string) {
      return entries.get(hash);
    },
    remember(hash: string, actor: Actor, expiresAt: number) {
      if (ttlMs <= 0) return;
      // Map order is insertion order: the first key is the oldest entry.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(hash, { actor, until: Math.min(clock.now().getTime() + ttlMs, expiresAt) });
    },
    forget(tokenId: string) {
      for (const [hash, entry] of entries) if (entry.actor.tokenId === tokenId) entries.delete(hash);
    },
  };
}

export function tokenService({ db, keyring, clock = systemClock, tokenCacheMs = 0 }: ServiceDeps) {
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

  const cache = actorCache(tokenCacheMs, clock);
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

    /** Revokes a token at once (on this server; others within their token cache time). Revoking
     * a revoked token is a no-op. */
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
      cache.forget(id);
      return revoked;
    },

    /** The actor a bearer token speaks for; unauthorized when unknown, revoked or expired. */
    async authenticate(secret: string | undefined): Promise<Actor> {
      if (!secret) throw new TenancyError("unauthorized", "send Authorization: Bearer <token>");
      const hash = hashToken(secret);
      const cached = cache.get(hash);
      if (cached && cached.until > clock.now().getTime()) return cached.actor;
      const row = await db.selectFrom("tokens").selectAll().where("token_hash", "=", hash).executeTakeFirst();
      if (!row) {
        throw new TenancyError("unauthorized", "the token is not valid");
      }
      if (row.revoked_at) throw new TenancyError("unauthorized", `token ${row.id} was revoked`);
      if (row.expires_at && new Date(row.expires_at) <= clock.now()) {
        throw new TenancyError("unauthorized", `token ${row.id} expired at ${iso(row.expires_at)}`);
      }
      const actor = {
        tokenId: row.id,
        name: row.name,
        subject: row.subject,
        teams: row.teams,
        orgAdmin: row.org_admin,
      };
      cache.remember(hash, actor, row.expires_at ? new Date(row.expires_at).getTime() : Infinity);
      return actor;
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
