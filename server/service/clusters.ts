// Clusters: the Kubernetes clusters `tenancy sync` keeps in step. Every token reads them (like
// domains, they are the organisation's vocabulary); org admins change them. A domain's or an
// environment's placement names clusters that exist: placing takes each named cluster's row in share
// mode, and deleting a cluster takes it exclusively and refuses while anything is placed on it.
import { sql, type Selectable } from "kysely";
import {
  TenancyError,
  clusterCreateSchema,
  clusterPatchSchema,
  parseOrThrow,
  type Cluster,
} from "../../model";
import type { ClusterTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import {
  systemClock,
  type Actor,
  type ExpectedVersion,
  type Queryable,
  type ServiceDeps,
  type Tx,
} from "./context";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { createOnce } from "./idempotency";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { iso, json, optional } from "./rows";
import { audit, transaction } from "./transaction";

const kind = "Cluster";

function toCluster(row: Selectable<ClusterTable>): Cluster {
  return {
    name: row.name,
    displayName: optional(row.display_name),
    description: optional(row.description),
    labels: optional(row.labels),
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
    ...(row.last_seen_at !== null ? { lastSeenAt: iso(row.last_seen_at) } : {}),
    ...(row.leader !== null ? { leader: row.leader } : {}),
  };
}

async function loadCluster(q: Queryable, name: string, forUpdate = false) {
  let query = q.selectFrom("clusters").selectAll().where("name", "=", name);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(kind, name);
  return row;
}

/**
 * Refuses a placement that names a cluster that does not exist (validation_failed on `clusters`);
 * holds the named clusters' rows in share mode to the commit, so none is deleted meanwhile.
 */
export async function checkPlacement(tx: Tx, clusters: readonly string[] | null | undefined) {
  if (!clusters || clusters.length === 0) return;
  const found = await tx
    .selectFrom("clusters")
    .select("name")
    .where("name", "in", [...clusters])
    .orderBy("name")
    .forShare()
    .execute();
  const missing = clusters.filter((name) => !found.some((row) => row.name === name));
  if (missing.length > 0) {
    throw new TenancyError("validation_failed", `no cluster ${missing.join(", ")}: create it first`, {
      errors: missing.map((name) => ({ path: "clusters", message: `no cluster ${name}` })),
    });
  }
}

export function clusterService({ db, keyring, clock = systemClock }: ServiceDeps) {
  return {
    async list(_actor: Actor): Promise<Cluster[]> {
      return (await db.selectFrom("clusters").selectAll().orderBy("name").execute()).map(toCluster);
    },

    async get(_actor: Actor, name: string): Promise<Cluster> {
      return toCluster(await loadCluster(db, name));
    },

    async create(actor: Actor, body: unknown, idempotencyKey?: string): Promise<Cluster> {
      requireOrgAdmin(actor, "create clusters");
      const input = parseOrThrow(clusterCreateSchema, body, "cluster");
      const target = { kind, id: input.name };
      const request = { key: idempotencyKey, operation: "cluster.create", body: input };
      return createOnce(db, keyring, actor, request, target, async (tx) => {
        const now = clock.now();
        const row = await tx
          .insertInto("clusters")
          .values({
            ...ownershipOnCreate(),
            name: input.name,
            display_name: input.displayName ?? null,
            description: input.description ?? null,
            labels: json(input.labels),
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const created = toCluster(row);
        await audit(tx, actor, now, "cluster.create", target, undefined, created);
        return created;
      });
    },

    async update(actor: Actor, name: string, body: unknown, expected: ExpectedVersion): Promise<Cluster> {
      requireOrgAdmin(actor, "change clusters");
      const patch = parseOrThrow(clusterPatchSchema, body, "cluster change");
      const version = requireExpectedVersion(expected, kind, name);
      return transaction(db, { kind, id: name }, async (tx) => {
        const before = await loadCluster(tx, name, true);
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        const now = clock.now();
        const row = await tx
          .updateTable("clusters")
          .set({
            ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.labels !== undefined ? { labels: json(patch.labels) } : {}),
            ...ownershipOnUpdate(before),
            version: before.version + 1,
            updated_at: now,
          })
          .where("name", "=", name)
          .returningAll()
          .executeTakeFirstOrThrow();
        const after = toCluster(row);
        await audit(tx, actor, now, "cluster.update", { kind, id: name }, toCluster(before), after);
        return after;
      });
    },

    /** Deletes a cluster nothing is placed on; one with domains or environments placed on it is a
     * conflict that names them. */
    async remove(actor: Actor, name: string, expected: ExpectedVersion): Promise<void> {
      requireOrgAdmin(actor, "delete clusters");
      const version = requireExpectedVersion(expected, kind, name);
      await transaction(db, { kind, id: name }, async (tx) => {
        const before = await loadCluster(tx, name, true);
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        const placed = sql<boolean>`clusters @> ${JSON.stringify([name])}::jsonb`;
        const [domains, environments] = await Promise.all([
          tx.selectFrom("domains").select("name").where(placed).orderBy("name").limit(3).execute(),
          tx
            .selectFrom("environments")
            .select(["project", "name"])
            .where(placed)
            .orderBy("project")
            .orderBy("name")
            .limit(3)
            .execute(),
        ]);
        const users = [
          ...domains.map((d) => `domain ${d.name}`),
          ...environments.map((e) => `environment ${e.project}/${e.name}`),
        ];
        if (users.length > 0) {
          throw new TenancyError(
            "conflict",
            `cluster ${name} has ${users.join(", ")} placed on it; place them elsewhere first`,
            { target: { kind, id: name } },
          );
        }
        await tx.deleteFrom("clusters").where("name", "=", name).execute();
        await audit(
          tx,
          actor,
          clock.now(),
          "cluster.delete",
          { kind, id: name },
          toCluster(before),
          undefined,
        );
      });
    },
  };
}
