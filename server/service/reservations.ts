import { randomBytes } from "node:crypto";
import { sql, type Selectable } from "kysely";
import {
  TenancyError,
  environmentId,
  formatQuantity,
  parseOrThrow,
  parseQuantity,
  reservationCreateSchema,
  resourceKinds,
  type Reservation,
  type ResourceKind,
} from "../../model";
import type { QuotaTable, ReservationTable } from "../store/schema";
import { authorize } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps } from "./context";
import { overLimits, releasedFromTotals, usageBefore } from "./usage";
import { loadEnvironment } from "./environments";
import { createOnceInOneStatement, type KeyToStore } from "./idempotency";
import { loadProject, refuseArchived } from "./projects";
import { notFound } from "./errors";
import { iso } from "./rows";
import { audit, transaction } from "./transaction";
import { compiledOnce } from "./compiled-once";
import {
  checkCeilingsAdmit,
  environmentForReservation,
  lockedCeilingsAbove,
  type CeilingLimitsAndTotals,
} from "./ceilings";

const kind = "Reservation";

function toReservation(row: Selectable<ReservationTable>): Reservation {
  return {
    id: row.id,
    project: row.project,
    environment: row.environment,
    cpu: formatQuantity(BigInt(row.cpu_milli)),
    memory: formatQuantity(BigInt(row.memory_milli)),
    gpu: formatQuantity(BigInt(row.gpu_milli)),
    storage: formatQuantity(BigInt(row.storage_milli)),
    executions: row.executions,
    createdAt: iso(row.created_at),
  };
}

/** How long released reservations stay in the history the console charts. */
const historyKeptMs = 8 * 24 * 3600 * 1000;

/** What `tenancy_admit_group` (server/store/migrations.ts) answers for one admission of a group. */
type Judgment =
  | { admitted: true }
  | {
      admitted: false;
      quota: Pick<Selectable<QuotaTable>, ResourceKind | "max_concurrent_executions">;
      totals: Record<ResourceKind | "executions", string>;
    }
  | { admitted: false; ceilings: CeilingLimitsAndTotals[] }
  | { keyTaken: true };

/** What it answers for a group: nothing when there is no such environment, else whether its
 * project is archived or each admission's judgment, in the group's order. */
type GroupAdmission = { archived: true } | { archived: false; results: Judgment[] };

/** One admission as the group statement takes it: the reservation, its audit entry and its
 * Idempotency-Key, if one came. */
interface Candidate {
  id: string;
  cpu: string;
  memory: string;
  gpu: string;
  storage: string;
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
}

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
type Outcome = Judgment | { archived: true } | null;

function outcomeAt(admission: GroupAdmission | null, place: number): Outcome {
  return admission === null || admission.archived ? admission : admission.results[place]!;
}

/** A group of one, in the transaction `tx` (a dry run's). */
async function admitAlone(tx: Queryable, project: string, environment: string, candidate: Candidate) {
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
function groupedAdmissions(db: Queryable) {
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

/** A release's statement, under its environment's lock: the reservation deleted, its amounts taken
 * off the environment's totals and the ceilings' above it, its entry added to the history the
 * console charts and the history's entries older than `historySince` dropped; it returns the
 * reservation, or nothing when there is none by that id in that environment. */
const release = compiledOnce(
  (
    q,
    id: string,
    project: string,
    environment: string,
    domain: string,
    releasedAt: Date,
    historySince: Date,
  ) =>
    q
      .with("released", (w) =>
        w
          .deleteFrom("reservations")
          .where("id", "=", id)
          .where("project", "=", project)
          .where("environment", "=", environment)
          .returningAll(),
      )
      .with("pruned", (w) =>
        w
          .deleteFrom("reservation_history")
          .where("project", "=", project)
          .where("environment", "=", environment)
          .where("released_at", "<", historySince),
      )
      .with("lowered", (w) =>
        w
          .updateTable("environments")
          .from("released")
          .set(releasedFromTotals("released"))
          .whereRef("environments.project", "=", "released.project")
          .whereRef("environments.name", "=", "released.environment"),
      )
      .with("ceilings_lowered", (w) =>
        w
          .updateTable("ceilings")
          .from([lockedCeilingsAbove(q, project, domain), "released"])
          .set(releasedFromTotals("released"))
          .whereRef("ceilings.id", "=", "locked.id"),
      )
      .with("recorded", (w) =>
        w
          .insertInto("reservation_history")
          .columns(["id", "project", "environment", "executions", "admitted_at", "released_at"])
          .expression((eb) =>
            eb
              .selectFrom("released")
              .select([
                "released.id",
                "released.project",
                "released.environment",
                "released.executions",
                "released.created_at",
                sql<Date>`${releasedAt}::timestamptz`.as("released_at"),
              ]),
          ),
      )
      .selectFrom("released")
      .selectAll(),
);

/** The quota_exceeded error of an admission its quota or a ceiling above refused. */
function refusal(
  id: string,
  judgment: Extract<Judgment, { admitted: false }>,
  requested: Record<ResourceKind, bigint>,
  executions: number,
): never {
  if ("ceilings" in judgment) {
    checkCeilingsAdmit(judgment.ceilings, requested, executions);
    throw new Error(`admission in ${id}: the database refused what every ceiling admits`);
  }
  const before = usageBefore(judgment.totals, requested, executions);
  const over = overLimits(judgment.quota, before, requested, executions);
  if (over.length > 0) {
    throw new TenancyError(
      "quota_exceeded",
      `the quota of environment ${id} does not admit this reservation (${over.join("; ")})`,
      { target: { kind: "Quota", id } },
    );
  }
  throw new Error(`admission in ${id}: the database refused what the quota it returned admits`);
}

export function reservationService({ db, keyring, clock = systemClock }: ServiceDeps) {
  const admitGrouped = groupedAdmissions(db);
  return {
    async list(actor: Actor, project: string, environment: string): Promise<Reservation[]> {
      await authorize(db, actor, "read", project, environment);
      await loadEnvironment(db, project, environment);
      const rows = await db
        .selectFrom("reservations")
        .selectAll()
        .where("project", "=", project)
        .where("environment", "=", environment)
        .orderBy("created_at")
        .execute();
      return rows.map(toReservation);
    },

    /**
     * Reserves amounts against the environment's quota and every ceiling above it, or answers
     * quota_exceeded: one statement (`admit`), whatever the number of live reservations, and a
     * transaction of its own, so the environment's lock is held for no round trip to this server.
     */
    async create(actor: Actor, project: string, environment: string, body: unknown, idempotencyKey?: string) {
      const input = parseOrThrow(reservationCreateSchema, body, "reservation");
      const id = environmentId(project, environment);
      const target = { kind, id };
      const request = { key: idempotencyKey, operation: `reservation.create:${id}`, body: input };
      const requested = Object.fromEntries(
        resourceKinds.map((k) => [k, input[k] === undefined ? 0n : parseQuantity(input[k])]),
      ) as Record<ResourceKind, bigint>;
      const executions = input.executions ?? 0;
      const admitIn = async (q: Queryable, toStore: KeyToStore | null) => {
        await authorize(q, actor, "create", project, environment);
        const now = clock.now();
        const created: Reservation = {
          id: `rsv_${randomBytes(12).toString("base64url")}`,
          project,
          environment,
          ...(Object.fromEntries(resourceKinds.map((k) => [k, formatQuantity(requested[k])])) as Record<
            ResourceKind,
            string
          >),
          executions,
          createdAt: now.toISOString(),
        };
        const candidate: Candidate = {
          id: created.id,
          cpu: requested.cpu.toString(),
          memory: requested.memory.toString(),
          gpu: requested.gpu.toString(),
          storage: requested.storage.toString(),
          executions,
          at: now,
          actor: actor.name,
          action: "reservation.create",
          target_kind: kind,
          after: created,
          key_actor: toStore?.actor ?? null,
          key: toStore?.key ?? null,
          fingerprint: toStore?.fingerprint ?? null,
          key_lifetime: toStore?.lifetime ?? null,
        };
        // A dry run's transaction holds its own connection: its admission goes alone, in it.
        const outcome = q.isTransaction
          ? await admitAlone(q, project, environment, candidate)
          : await admitGrouped(project, environment, candidate);
        if (outcome === null) {
          await loadProject(q, project); // says which of the two is missing
          throw notFound("Environment", id);
        }
        if ("keyTaken" in outcome) {
          // onceByKey answers with the answer stored under the key by the request that took it.
          throw new TenancyError(
            "conflict",
            `Idempotency-Key ${candidate.key} is taken by a concurrent request`,
            {
              target,
            },
          );
        }
        if ("archived" in outcome)
          refuseArchived({ name: project, archived: outcome.archived }, "reservations");
        else if (!outcome.admitted) refusal(id, outcome, requested, executions);
        return created;
      };
      return createOnceInOneStatement(db, keyring, actor, request, target, admitIn);
    },

    async remove(actor: Actor, project: string, environment: string, reservationId: string): Promise<void> {
      await transaction(db, { kind, id: reservationId }, async (tx) => {
        await authorize(tx, actor, "delete", project, environment);
        const env = await environmentForReservation(tx, project, environment);
        const releasedAt = clock.now();
        const historySince = new Date(releasedAt.getTime() - historyKeptMs);
        const [row] = await release(
          tx,
          reservationId,
          project,
          environment,
          env.domain,
          releasedAt,
          historySince,
        );
        if (!row) throw notFound(kind, reservationId);
        await audit(
          tx,
          actor,
          clock.now(),
          "reservation.delete",
          { kind, id: reservationId },
          toReservation(row),
          undefined,
        );
      });
    },
  };
}
