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
  type CountDimension,
  type ResourceKind,
} from "../../model";
import { dimensionColumns } from "../store/dimensions";
import type { ReservationTable } from "../store/schema";
import { authorize } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps, type Tx } from "./context";
import { releasedFromTotals } from "./usage";
import { loadEnvironment } from "./environment-rows";
import { createOnceInOneStatement, type KeyToStore } from "./idempotency";
import { loadProject, refuseArchived } from "./projects";
import { notFound } from "./errors";
import { iso } from "./rows";
import { audit, transaction } from "./transaction";
import { compiledOnce } from "./compiled-once";
import { lockedCeilingsAbove } from "./ceiling-locks";
import { admitAlone, groupedAdmissions, type Candidate } from "./admission-groups";
import { refusalError } from "./refusals";

const kind = "Reservation";

function toReservation(row: Selectable<ReservationTable>): Reservation {
  return {
    id: row.id,
    project: row.project,
    environment: row.environment,
    ...(Object.fromEntries(
      dimensionColumns.map(({ dimension, amount }) => [
        dimension.usage,
        dimension.quantity ? formatQuantity(BigInt(row[amount])) : Number(row[amount]),
      ]),
    ) as Pick<Reservation, ResourceKind | CountDimension>),
    createdAt: iso(row.created_at),
  };
}

/** How long released reservations stay in the history the console charts. */
const historyKeptMs = 8 * 24 * 3600 * 1000;

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

const lockEnvironmentForReservation = compiledOnce((q, project: string, environment: string) =>
  q
    .selectFrom("environments as e")
    .innerJoin("projects as p", "p.name", "e.project")
    .innerJoin("domains as d", "d.name", "e.domain")
    .select(["e.domain", "p.name", "p.archived"])
    .where("e.project", "=", project)
    .where("e.name", "=", environment)
    .forUpdate(["e"])
    .forKeyShare(["p", "d"]),
);

/**
 * The environment a reservation is released from, locked for update (releases and admissions there go
 * one at a time: they change its totals, and tenancy_admit_group takes the same lock), with whether its
 * project is archived.
 * Its project's and domain's rows are held in key-share mode by the same statement, so no ceiling is
 * created over the reservation while it is in flight.
 */
export async function environmentForReservation(tx: Tx, project: string, environment: string) {
  const [row] = await lockEnvironmentForReservation(tx, project, environment);
  if (!row) {
    await loadProject(tx, project); // says which of the two is missing
    throw notFound("Environment", `${project}/${environment}`);
  }
  return row;
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
          ...(Object.fromEntries(resourceKinds.map((k) => [k, requested[k].toString()])) as Record<
            ResourceKind,
            string
          >),
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
        else if (!outcome.admitted) throw refusalError(target, outcome.refusal);
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
