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
import { audit, auditArgs, auditEntry, refusalDetail, transaction } from "./transaction";
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

/** What `tenancy_admit` (server/store/migrations.ts) answers: nothing when there is no such
 * environment; else whether its quota admitted the reservation, with the quota and the
 * environment's totals with the reservation added, which a refusal's message is made of. */
type Admission =
  | { archived: true }
  | {
      archived: false;
      admitted: boolean;
      quota: Pick<Selectable<QuotaTable>, ResourceKind | "max_concurrent_executions"> | null;
      totals: Record<ResourceKind | "executions", string>;
    };

/** An admission in one statement: the database locks the environment, judges the reservation
 * against its quota and the ceilings above it, and writes the reservation, its audit entry, the
 * totals and the Idempotency-Key if one came, so the environment is locked only while the
 * statement runs. */
const admit = compiledOnce(
  (
    q,
    project: string,
    environment: string,
    cpu: bigint,
    memory: bigint,
    gpu: bigint,
    storage: bigint,
    executions: number,
    keyActor: string | null,
    key: string | null,
    fingerprint: string | null,
    keyLifetime: string | null,
    ...entry: ReturnType<typeof auditArgs>
  ) =>
    q.selectNoFrom(
      sql<Admission | null>`tenancy_admit(${project}, ${environment}, ${cpu}, ${memory}, ${gpu}, ${storage}, ${executions}, ${sql.join(entry)}, ${keyActor}, ${key}, ${fingerprint}, ${keyLifetime})`.as(
        "admission",
      ),
    ),
);

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

/** The quota_exceeded error of an admission its quota refused. */
function refusal(
  id: string,
  admission: Extract<Admission, { archived: false }>,
  requested: Record<ResourceKind, bigint>,
  executions: number,
): never {
  if (admission.quota) {
    const before = usageBefore(admission.totals, requested, executions);
    const over = overLimits(admission.quota, before, requested, executions);
    if (over.length > 0) {
      throw new TenancyError(
        "quota_exceeded",
        `the quota of environment ${id} does not admit this reservation (${over.join("; ")})`,
        { target: { kind: "Quota", id } },
      );
    }
  }
  throw new Error(`admission in ${id}: the database refused what the quota it returned admits`);
}

/** What tenancy_admit raises when a ceiling refuses: its detail holds the ceilings as raised. */
const ceilingRefused = "TY001";

/** `admit`; a ceiling's refusal, raised by the statement (which undoes it all), becomes the
 * quota_exceeded error naming the ceiling. */
async function admitOrRefuse(...args: Parameters<typeof admit>) {
  try {
    return await admit(...args);
  } catch (err) {
    const detail = refusalDetail(err, ceilingRefused);
    if (detail === undefined) throw err;
    const [, project, environment, cpu, memory, gpu, storage, executions] = args;
    checkCeilingsAdmit(
      JSON.parse(detail) as CeilingLimitsAndTotals[],
      { cpu, memory, gpu, storage },
      executions,
    );
    throw new Error(
      `admission in ${project}/${environment}: the database refused what every ceiling admits`,
      {
        cause: err,
      },
    );
  }
}

export function reservationService({ db, keyring, clock = systemClock }: ServiceDeps) {
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
        const entry = auditEntry(
          actor,
          now,
          "reservation.create",
          { kind, id: created.id },
          undefined,
          created,
        );
        const [row] = await admitOrRefuse(
          q,
          project,
          environment,
          requested.cpu,
          requested.memory,
          requested.gpu,
          requested.storage,
          executions,
          toStore?.actor ?? null,
          toStore?.key ?? null,
          toStore?.fingerprint ?? null,
          toStore?.lifetime ?? null,
          ...auditArgs(entry),
        );
        const admission = row?.admission;
        if (!admission) {
          await loadProject(q, project); // says which of the two is missing
          throw notFound("Environment", id);
        }
        if (admission.archived) refuseArchived({ name: project, archived: true }, "reservations");
        else if (!admission.admitted) refusal(id, admission, requested, executions);
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
