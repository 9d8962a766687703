// Admissions into one environment that arrive together, sent to the database as one statement
// (tenancy_admit_group), which judges each in turn under the environment's lock.
import { sql } from "kysely";
import { environmentId, type Reservation, type ResourceKind } from "../../model";
import type { Queryable } from "./context";
import { compiledOnce } from "./compiled-once";

/** What `tenancy_admit_group` (server/store/functions) answers for one admission of a group: admitted,
 * refused (what refused it, as data: server/service/refusals.ts), or left out because a concurrent
 * request holds its Idempotency-Key. */
type Judgment = { admitted: true } | { admitted: false; refusal: unknown } | { keyTaken: true };

/** What it answers for a group: nothing when there is no such environment, else whether its
 * project is archived or each admission's judgment, in the group's order. */
type GroupAdmission = { archived: true } | { archived: false; results: Judgment[] };

/** One admission as the group statement takes it: the reservation, its audit entry and its
 * Idempotency-Key, if one came. */
export type Candidate = Record<ResourceKind, string> & {
  id: string;
  /** Milli-units of each resource kind, as exact text; the count of executions. */
  executions: number;
  at: Date;
  actor: string;
  action: string;
  target_kind: string;
  after: Reservation;
  key_actor: string | null;
  key: string | null;
  fingerprint: string | null;
  key_lifetime: string | null;
};

/** A group's admission in one statement: the database locks the environment, judges each
 * reservation in turn against its quota and the ceilings above it, and writes those admitted, their
 * audit entries, the totals and the Idempotency-Keys, so the environment is locked only while the
 * statement runs. */
const admitGroup = compiledOnce((q, project: string, environment: string, group: string) =>
  q.selectNoFrom(
    sql<GroupAdmission | null>`tenancy_admit_group(${project}, ${environment}, ${group}::jsonb)`.as(
      "admission",
    ),
  ),
);

/** The most admissions one statement judges. */
const maxGroup = 64;

/** An admission's judgment, or what the group found instead: no such environment (null), or its
 * project archived. */
export type Outcome = Judgment | { archived: true } | null;

function outcomeAt(admission: GroupAdmission | null, place: number): Outcome {
  return admission === null || admission.archived ? admission : admission.results[place]!;
}

/** A group of one, in the transaction `tx` (a dry run's). */
export async function admitAlone(tx: Queryable, project: string, environment: string, candidate: Candidate) {
  const [row] = await admitGroup(tx, project, environment, JSON.stringify([candidate]));
  return outcomeAt(row?.admission ?? null, 0);
}

interface Waiting {
  candidate: Candidate;
  resolve: (outcome: Outcome) => void;
  reject: (err: unknown) => void;
}

/**
 * Group admission. An admission into an environment with no statement out at this server is sent
 * at once, alone; those that arrive while one is out wait and go together in the next statement, up
 * to maxGroup. On a contended environment each admission otherwise waits for the lock's hand-off
 * from the one before (its commit, a wakeup of the next backend); a group pays for that once. Every
 * admission is still judged under the environment's lock against the totals its predecessors left,
 * and a statement that fails fails each of its admissions, which the caller retries as its own.
 */
export function groupedAdmissions(db: Queryable) {
  /** Per environment with a statement out: the admissions waiting for the next one. */
  const waitingBy = new Map<string, Waiting[]>();
  const send = (project: string, environment: string, place: string, group: Waiting[]) => {
    admitGroup(db, project, environment, JSON.stringify(group.map((w) => w.candidate)))
      .then(
        ([row]) => group.forEach((w, i) => w.resolve(outcomeAt(row?.admission ?? null, i))),
        (err: unknown) => group.forEach((w) => w.reject(err)),
      )
      .finally(() => {
        const waiting = waitingBy.get(place)!;
        if (waiting.length === 0) waitingBy.delete(place);
        else send(project, environment, place, waiting.splice(0, maxGroup));
      });
  };
  return (project: string, environment: string, candidate: Candidate) =>
    new Promise<Outcome>((resolve, reject) => {
      const place = environmentId(project, environment);
      const waiting = waitingBy.get(place);
      if (waiting) return void waiting.push({ candidate, resolve, reject });
      waitingBy.set(place, []);
      send(project, environment, place, [{ candidate, resolve, reject }]);
    });
}
