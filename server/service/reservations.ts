import { randomBytes } from "node:crypto";
import { sql, type Selectable } from "kysely";
import { jsonArrayFrom, jsonObjectFrom } from "kysely/helpers/postgres";
import {
  TenancyError,
  environmentId,
  formatQuantity,
  parseOrThrow,
  parseQuantity,
  reservationCreateSchema,
  resourceKinds,
  type Reservation,
} from "../../model";
import type { ReservationTable } from "../store/schema";
import { authorize } from "./access";
import { systemClock, type Actor, type ServiceDeps } from "./context";
import { addToTotals, overLimits, releasedFromTotals, usageBefore, usageTotals } from "./usage";
import { loadEnvironment } from "./environments";
import { quotaRow } from "./quotas";
import { createOnce } from "./idempotency";
import { refuseArchived } from "./projects";
import { notFound } from "./errors";
import { iso } from "./rows";
import { audit, auditArgs, auditEntry, auditValues, transaction } from "./transaction";
import { compiledOnce } from "./compiled-once";
import {
  checkCeilingsAdmit,
  environmentForReservation,
  lockedCeilingsAbove,
  raiseCeilingsAbove,
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

/** An admission's statement, under its environment's lock: the reservation and its audit entry
 * inserted, the environment's totals and the ceilings' above it raised (locking the ceilings, which
 * stay locked from here to the commit only), and the quota read, all judged before the commit. */
const admit = compiledOnce(
  (
    q,
    project: string,
    environment: string,
    domain: string,
    cpu: bigint,
    memory: bigint,
    gpu: bigint,
    storage: bigint,
    executions: number,
    ...entry: ReturnType<typeof auditArgs>
  ) => {
    const { at, actor, target_id: id } = auditValues(...entry);
    const requested = { cpu, memory, gpu, storage };
    return q
      .with("raised", (w) => raiseCeilingsAbove(w, project, domain, requested, executions))
      .with("admitted", (w) =>
        w.insertInto("reservations").values({
          id,
          project,
          environment,
          cpu_milli: cpu,
          memory_milli: memory,
          gpu_milli: gpu,
          storage_milli: storage,
          executions,
          actor,
          created_at: at,
        }),
      )
      .with("audited", (w) => w.insertInto("audit").values(auditValues(...entry)))
      .with("totals", (w) =>
        w
          .updateTable("environments")
          .set(addToTotals(requested, executions))
          .where("project", "=", project)
          .where("name", "=", environment)
          .returning(usageTotals("environments")),
      )
      .selectFrom("totals")
      .selectAll("totals")
      .select((eb) => [
        jsonObjectFrom(quotaRow(q, project, environment)).as("quota"),
        jsonArrayFrom(eb.selectFrom("raised").selectAll("raised")).as("ceilings"),
      ]);
  },
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
     * quota_exceeded. The environment row is locked first (admissions there go one at a time, from
     * any number of server processes); then one statement inserts the reservation and its audit
     * entry, adds it to the environment's totals and to every ceiling's above (locking those last),
     * and reads the quota; what it returns is judged before the commit, and a refusal rolls it all
     * back. An admission is three round trips under the environment's lock, whatever the number of
     * live reservations.
     */
    async create(actor: Actor, project: string, environment: string, body: unknown, idempotencyKey?: string) {
      const input = parseOrThrow(reservationCreateSchema, body, "reservation");
      const id = environmentId(project, environment);
      const request = { key: idempotencyKey, operation: `reservation.create:${id}`, body: input };
      const requested = Object.fromEntries(
        resourceKinds.map((k) => [k, input[k] === undefined ? 0n : parseQuantity(input[k])]),
      ) as Record<(typeof resourceKinds)[number], bigint>;
      const executions = input.executions ?? 0;
      return createOnce(db, keyring, actor, request, { kind, id }, async (tx) => {
        await authorize(tx, actor, "create", project, environment);
        const env = await environmentForReservation(tx, project, environment);
        refuseArchived(env, "reservations");
        const now = clock.now();
        const created: Reservation = {
          id: `rsv_${randomBytes(12).toString("base64url")}`,
          project,
          environment,
          ...(Object.fromEntries(resourceKinds.map((k) => [k, formatQuantity(requested[k])])) as Record<
            (typeof resourceKinds)[number],
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
        const [row] = await admit(
          tx,
          project,
          environment,
          env.domain,
          requested.cpu,
          requested.memory,
          requested.gpu,
          requested.storage,
          executions,
          ...auditArgs(entry),
        );
        if (!row) throw new Error(`admission in ${id}: its environment's totals were not returned`);
        if (row.quota) {
          const before = usageBefore(row, requested, executions);
          const over = overLimits(row.quota, before, requested, executions);
          if (over.length > 0) {
            throw new TenancyError(
              "quota_exceeded",
              `the quota of environment ${id} does not admit this reservation (${over.join("; ")})`,
              { target: { kind: "Quota", id } },
            );
          }
        }
        checkCeilingsAdmit(row.ceilings, requested, executions);
        return created;
      });
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
