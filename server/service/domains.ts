import { TenancyError, domainCreateSchema, domainPatchSchema, parseOrThrow, type Domain } from "../../model";
import type { Selectable } from "kysely";
import type { DomainTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import { systemClock, type Actor, type ExpectedVersion, type Queryable, type ServiceDeps } from "./context";
import { createOnce } from "./idempotency";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { checkPlacement } from "./clusters";
import { iso, json, optional } from "./rows";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { audit, transaction } from "./transaction";

const kind = "Domain";

function toDomain(row: Selectable<DomainTable>): Domain {
  return {
    name: row.name,
    tier: row.tier as Domain["tier"],
    displayName: optional(row.display_name),
    description: optional(row.description),
    order: optional(row.order),
    clusters: optional(row.clusters),
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

export async function loadDomain(q: Queryable, name: string, forUpdate = false) {
  let query = q.selectFrom("domains").selectAll().where("name", "=", name);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(kind, name);
  return row;
}

/** Domains are the organisation's vocabulary: every token reads them, org admins change them. */
export function domainService({ db, keyring, clock = systemClock }: ServiceDeps) {
  return {
    async list(_actor: Actor): Promise<Domain[]> {
      const rows = await db.selectFrom("domains").selectAll().orderBy("order").orderBy("name").execute();
      return rows.map(toDomain);
    },

    async get(_actor: Actor, name: string): Promise<Domain> {
      return toDomain(await loadDomain(db, name));
    },

    async create(actor: Actor, body: unknown, idempotencyKey?: string): Promise<Domain> {
      requireOrgAdmin(actor, "create domains");
      const input = parseOrThrow(domainCreateSchema, body, "domain");
      const target = { kind, id: input.name };
      return createOnce(
        db,
        keyring,
        actor,
        { key: idempotencyKey, operation: "domain.create", body: input },
        target,
        async (tx) => {
          await checkPlacement(tx, input.clusters);
          const now = clock.now();
          const row = await tx
            .insertInto("domains")
            .values({
              ...ownershipOnCreate(),
              name: input.name,
              tier: input.tier,
              display_name: input.displayName ?? null,
              description: input.description ?? null,
              order: input.order ?? null,
              clusters: json(input.clusters),
              created_at: now,
              updated_at: now,
            })
            .returningAll()
            .executeTakeFirstOrThrow();
          const created = toDomain(row);
          await audit(tx, actor, now, "domain.create", target, undefined, created);
          return created;
        },
      );
    },

    async update(actor: Actor, name: string, body: unknown, expected: ExpectedVersion): Promise<Domain> {
      requireOrgAdmin(actor, "change domains");
      const patch = parseOrThrow(domainPatchSchema, body, "domain change");
      const version = requireExpectedVersion(expected, kind, name);
      return transaction(db, { kind, id: name }, async (tx) => {
        const before = await loadDomain(tx, name, true);
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        await checkPlacement(tx, patch.clusters);
        const now = clock.now();
        const row = await tx
          .updateTable("domains")
          .set({
            ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.order !== undefined ? { order: patch.order } : {}),
            ...(patch.clusters !== undefined ? { clusters: json(patch.clusters) } : {}),
            ...ownershipOnUpdate(before),
            version: before.version + 1,
            updated_at: now,
          })
          .where("name", "=", name)
          .returningAll()
          .executeTakeFirstOrThrow();
        const after = toDomain(row);
        await audit(tx, actor, now, "domain.update", { kind, id: name }, toDomain(before), after);
        return after;
      });
    },

    async remove(actor: Actor, name: string, expected: ExpectedVersion): Promise<void> {
      requireOrgAdmin(actor, "delete domains");
      const version = requireExpectedVersion(expected, kind, name);
      await transaction(db, { kind, id: name }, async (tx) => {
        const before = await loadDomain(tx, name, true);
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        const inUse = await tx
          .selectFrom("environments")
          .select(["project", "name"])
          .where("domain", "=", name)
          .limit(3)
          .execute();
        if (inUse.length > 0) {
          throw new TenancyError(
            "conflict",
            `domain ${name} is used by environments ${inUse.map((e) => `${e.project}/${e.name}`).join(", ")}; delete or move them first`,
            { target: { kind, id: name } },
          );
        }
        await tx.deleteFrom("domains").where("name", "=", name).execute();
        await audit(tx, actor, clock.now(), "domain.delete", { kind, id: name }, toDomain(before), undefined);
      });
    },
  };
}
