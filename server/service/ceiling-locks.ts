// Locks and totals of quota ceilings (server/service/ceilings.ts has the ceiling service). Two rules
// hold a ceiling: the environment quotas below it may not add up to more than it
// (tenancy_allocation_refusal, asked at every write that changes what lies below: a quota, a
// ceiling, a transfer), and a reservation is admitted only while every ceiling above its
// environment holds (tenancy_admit_group).
//
// Each ceiling row keeps what the live reservations below it hold (used_*): an admission adds to it
// and checks it in one statement, a release takes from it, so an admission costs the same whatever
// the number of live reservations, and the ceiling's row lock is held from that statement to the
// commit only. The totals are counted afresh from the reservations when a ceiling is created and
// when an environment moves between projects. Reservations hold their project and domain rows in
// key-share mode, and a ceiling's creation holds its project or domain row exclusively, so no
// reservation is in flight while a ceiling counts what lies below it.
//
// Locks, always taken in this order so that concurrent writers cannot deadlock: the environment
// row, the project row, the domain row, the project's ceiling, the domain's ceiling. Quota writes
// hold the project and domain rows shared, so a ceiling and a quota written at once are judged one
// after the other. A transfer locks every environment of its project in name order, then holds the
// destination's row shared and both projects' rows in key-share mode, then their ceilings.
import { sql, type QueryCreator } from "kysely";
import { ceilingId } from "../../model";
import { perUsedColumn } from "../store/dimensions";
import type { Database } from "../store/schema";
import type { Queryable, Tx } from "./context";
import { refusalError } from "./refusals";
import { auditArgs, auditValues, type AuditRow } from "./transaction";
import { compiledOnce } from "./compiled-once";

/** A ceiling's row, as far as the rules here read it. */
interface CeilingKey {
  id: number;
  project: string | null;
  domain: string | null;
}

function idOf(row: CeilingKey) {
  return row.project !== null
    ? ceilingId({ kind: "project", project: row.project })
    : ceilingId({ kind: "domain", domain: row.domain! });
}

const allocationRefusal = compiledOnce((q, id: number) =>
  q
    .selectFrom("ceilings as c")
    .select(sql<unknown>`tenancy_allocation_refusal(c)`.as("refusal"))
    .where("c.id", "=", id),
);

/** Refuses (quota_exceeded, naming the ceiling and dimension) when the quotas below a ceiling, whose
 * row the caller has locked, add up to more than it. */
export async function checkAllocation(q: Queryable, row: CeilingKey) {
  const [judged] = await allocationRefusal(q, row.id);
  if (judged?.refusal) throw refusalError({ kind: "Quota", id: idOf(row) }, judged.refusal);
}

/** The sums of the live reservations below a ceiling, as its used_* columns take them. */
function reservationSumsBelow(row: CeilingKey) {
  const below =
    row.project !== null
      ? sql`r.project = ${row.project}`
      : sql`exists (select 1 from environments e where e.project = r.project and e.name = r.environment and e.domain = ${row.domain})`;
  return perUsedColumn(
    ({ amount }) =>
      sql<string>`(select coalesce(sum(${sql.ref(`r.${amount}`)}), 0) from reservations r where ${below})`,
  );
}

/** Counts a ceiling's totals afresh from the reservations below it (its row is locked by then). */
export async function recount(tx: Tx, row: CeilingKey) {
  return tx
    .updateTable("ceilings")
    .set(reservationSumsBelow(row))
    .where("id", "=", row.id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

const auditAndLockCeilingsAbove = compiledOnce(
  (q, project: string, domain: string, ...entry: ReturnType<typeof auditArgs>) =>
    q
      .with("held", (db) =>
        db
          .selectFrom("projects as p")
          .innerJoin("domains as d", (join) => join.onTrue())
          .select("p.name")
          .where("p.name", "=", project)
          .where("d.name", "=", domain)
          .forShare(),
      )
      .with("audited", (db) => db.insertInto("audit").values(auditValues(...entry)))
      .selectFrom("ceilings")
      .selectAll("ceilings")
      // Uncorrelated, so it runs once, first: the shared locks come before the ceilings' own.
      .where((eb) => eb.exists(eb.selectFrom("held").select("held.name")))
      .where((eb) => eb.or([eb("ceilings.project", "=", project), eb("ceilings.domain", "=", domain)]))
      .orderBy(sql`ceilings.project is null`)
      .forUpdate("ceilings"),
);

/**
 * After a write that changes the quotas below an environment's project or domain (its quota, a
 * transfer): the ceilings above it must still hold. One statement holds the project and domain
 * rows (for share), then locks the ceilings above, the project's first (the lock order: rows are
 * locked as they come out of the sort); the write's audit entry is appended in the same
 * statement, which saves the write a round trip.
 */
export async function auditAndCheckCeilingsAbove(tx: Tx, project: string, domain: string, entry: AuditRow) {
  const ceilings = await auditAndLockCeilingsAbove(tx, project, domain, ...auditArgs(entry));
  for (const row of ceilings) await checkAllocation(tx, row);
}

/** The ceilings above an environment, locked in the lock order (rows are locked as they come out of
 * the sort: the project's ceiling, then the domain's), for an update's `from`, as `locked`. A
 * release lowers their totals (an admission raises them inside tenancy_admit_group, in the same order). */
export function lockedCeilingsAbove(q: QueryCreator<Database>, project: string, domain: string) {
  return q
    .selectFrom("ceilings")
    .select("id")
    .where((eb) => eb.or([eb("project", "=", project), eb("domain", "=", domain)]))
    .orderBy(sql`project is null`)
    .forUpdate()
    .as("locked");
}

/** After an environment moved from `source` to `destination` with its reservations: the two
 * projects' ceilings count what lies below them afresh. */
export async function recountProjectCeilings(tx: Tx, source: string, destination: string) {
  const projects = [source, destination].sort();
  await tx.selectFrom("projects").select("name").where("name", "in", projects).forKeyShare().execute();
  const rows = await tx
    .selectFrom("ceilings")
    .selectAll()
    .where("project", "in", projects)
    .orderBy("project")
    .forUpdate()
    .execute();
  for (const row of rows) await recount(tx, row);
}
