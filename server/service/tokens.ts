// API tokens: issued to a subject with its teams, stored as a sha256 hash, shown once, revocable,
// optionally expiring.
import { createHash, randomBytes } from "node:crypto";
import { sql, type Selectable } from "kysely";
import { TenancyError, mixedTokenKind, parseOrThrow, tokenCreateSchema, type Token } from "../../model";
import type { TokenTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import { systemClock, type Actor, type ServiceDeps, type Tx } from "./context";
import { createOnce } from "./idempotency";
import { notFound } from "./errors";
import { checkClaim, managedByOf, ownershipOnCreate } from "./ownership";
import { iso } from "./rows";
import { audit, transaction } from "./transaction";
import { writeContext } from "./write-context";

const kind = "Token";
const tokenPrefix = "tny_";

/** A token as the store keeps it (and as a request's authentication looks it up). */
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
    ...(row.cluster !== null ? { cluster: row.cluster } : {}),
    ...(row.scim ? { scim: true } : {}),
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

export function tokenService({ db, keyring, clock = systemClock }: ServiceDeps) {
  async function insert(
    tx: Tx,
    actor: Actor,
    input: {
      name: string;
      subject: string;
      teams?: string[];
      orgAdmin?: boolean;
      cluster?: string;
      scim?: boolean;
      expiresAt?: string;
    },
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
        cluster: input.cluster ?? null,
        scim: input.scim ?? false,
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

  /**
   * A token issued for a Pulumi resource is that resource's only live token, but for the one it
   * replaces (`keep`, while a rotation's up runs): a token whose issue was never recorded by the
   * stack (the answer was lost, the provider died) is revoked by the next issue, not left valid.
   */
  async function revokeOrphans(tx: Tx, actor: Actor, issuedId: string, keep: string | undefined) {
    const { owner } = writeContext();
    if (!owner) return;
    const now = clock.now();
    const orphans = await tx
      .updateTable("tokens")
      .set({ revoked_at: now })
      .where(sql<string>`managed_by->>'urn'`, "=", owner.urn)
      .where("id", "!=", issuedId)
      .where("revoked_at", "is", null)
      .$if(keep !== undefined, (q) => q.where("id", "!=", keep!))
      .returningAll()
      .execute();
    for (const orphan of orphans) {
      await audit(tx, actor, now, "token.revoke", { kind, id: orphan.id }, undefined, {
        ...toToken(orphan),
        reason: `superseded by ${issuedId}, issued for the same resource`,
      });
    }
  }

  return {
    /** Issues a token; the secret is in this response only. */
    async create(
      actor: Actor,
      body: unknown,
      idempotencyKey?: string,
      keep?: string,
    ): Promise<Token & { token: string }> {
      requireOrgAdmin(actor, "issue tokens");
      const input = parseOrThrow(tokenCreateSchema, body, "token");
      const mixed = mixedTokenKind(input);
      if (mixed) throw new TenancyError("validation_failed", mixed.message, { errors: [mixed] });
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
        const token = await insert(tx, actor, input, secret);
        await revokeOrphans(tx, actor, token.id, keep);
        return token;
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
