// The change feed: what changed, in commit order (tenancy_record_change numbers each change as its
// transaction commits), filtered to what the caller may read. A follower passes back the revision it
// got; with `wait`, the request is held until there is a change after it. Changes are kept 24 hours.
import { TenancyError, changeQuerySchema, parseOrThrow, type Change, type ChangePage } from "../../model";
import { visibleScopes } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps } from "./context";

/** How long changes are kept. */
const keptMs = 24 * 3600 * 1000;
/** How often a held request looks for new changes, and the most changes one answer carries. */
const pollEveryMs = 200;
const pageSize = 1000;

/** Kinds every token may read: the organisation's vocabulary and its teams. */
const readByAll = new Set(["Domain", "Team", "TeamMember"]);

type Scopes = Awaited<ReturnType<typeof visibleScopes>>;

/** What a caller may read of the feed now: its bindings' scopes; for a sync token, what is placed
 * on its cluster and what its sync still keeps objects for there (its status reports), so it sees
 * an environment deleted or moved elsewhere. Read at each look: a placement changes what it sees. */
async function feedScopes(db: Queryable, actor: Actor): Promise<Scopes> {
  const scopes = await visibleScopes(db, actor);
  if (actor.cluster === undefined || scopes === undefined) return scopes;
  const reported = await db
    .selectFrom("cluster_status")
    .select(["project", "environment"])
    .where("cluster", "=", actor.cluster)
    .execute();
  return [...scopes, ...reported];
}

/** Whether a caller whose bindings are `scopes` (undefined: an org admin) may read `change`. */
function mayRead(change: Change, scopes: Scopes): boolean {
  if (scopes === undefined) return true;
  if (change.project === undefined) return readByAll.has(change.kind) || change.kind === "Quota";
  if (change.environment === undefined) return scopes.some((s) => s.project === change.project);
  return scopes.some(
    (s) => s.project === change.project && (s.environment === null || s.environment === change.environment),
  );
}

export function changeService({ db, clock = systemClock }: ServiceDeps) {
  /** Drops what is older than the feed keeps, once per request: an index scan that finds nothing
   * when nothing is due, and a write of the feed's row only when something was dropped. */
  async function prune() {
    const cutoff = new Date(clock.now().getTime() - keptMs);
    await db
      .with("pruned", (q) => q.deleteFrom("changes").where("at", "<", cutoff).returning("revision"))
      .with("last", (q) => q.selectFrom("pruned").select((p) => p.fn.max("revision").as("revision")))
      .updateTable("change_feed")
      .from("last")
      .set((eb) => ({ pruned_through: eb.ref("last.revision") }))
      .where("last.revision", "is not", null)
      .where((eb) => eb("last.revision", ">", eb.ref("change_feed.pruned_through")))
      .execute();
  }

  /** One look: the changes after `after` (at most a page), and the feed's state. */
  async function look(after: number) {
    const feed = await db
      .selectFrom("change_feed")
      .select(["revision", "pruned_through"])
      .executeTakeFirstOrThrow();
    if (after < Number(feed.pruned_through)) {
      throw new TenancyError(
        "gone",
        `changes up to revision ${feed.pruned_through} are no longer kept: list everything again, then follow from revision ${feed.revision}`,
        { revision: Number(feed.revision) },
      );
    }
    const rows = await db
      .selectFrom("changes")
      .select(["revision", "kind", "id", "project", "environment", "action"])
      .where("revision", ">", String(after))
      .orderBy("revision")
      .limit(pageSize)
      .execute();
    const changes: Change[] = rows.map((row) => ({
      revision: Number(row.revision),
      kind: row.kind,
      id: row.id,
      ...(row.project !== null ? { project: row.project } : {}),
      ...(row.environment !== null ? { environment: row.environment } : {}),
      action: row.action,
    }));
    // Past what was scanned when there were changes; else the current revision.
    const revision = changes.length > 0 ? changes[changes.length - 1]!.revision : Number(feed.revision);
    return { changes, revision };
  }

  return {
    async list(actor: Actor, query: unknown): Promise<ChangePage> {
      const { after, wait } = parseOrThrow(changeQuerySchema, query, "change query");
      await prune();
      const deadline = Date.now() + (wait ?? 0) * 1000;
      let from = after;
      for (;;) {
        const { changes, revision } = await look(from);
        const scopes = await feedScopes(db, actor);
        const visible = changes.filter((change) => mayRead(change, scopes));
        if (visible.length > 0 || Date.now() >= deadline) return { revision, changes: visible };
        // Changes the caller may not read move it along all the same.
        from = Math.max(from, changes.length > 0 ? revision : from);
        await new Promise((resolve) => setTimeout(resolve, pollEveryMs));
      }
    },
  };
}
