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
} from "../../model";
import type { ReservationTable } from "../store/schema";
import { authorize } from "./access";
import { systemClock, type Actor, type ServiceDeps } from "./context";
import { overLimits, usageOf } from "./usage";
import { loadEnvironment } from "./environments";
import { createOnce } from "./idempotency";
import { refuseArchived } from "./projects";
import { findQuota } from "./quotas";
import { notFound } from "./errors";
import { iso } from "./rows";
import { audit, transaction } from "./transaction";
import { admitUnderCeilings, environmentForReservation, releaseUnderCeilings } from "./ceilings";

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
     * quota_exceeded. The environment row is locked first and each ceiling last, so concurrent
     * reservations (from any number of server processes) are admitted one at a time against the
     * usage the previous ones left, per environment and per ceiling.
     */
    async create(actor: Actor, project: string, environment: string, body: unknown, idempotencyKey?: string) {
      const input = parseOrThrow(reservationCreateSchema, body, "reservation");
      const id = environmentId(project, environment);
      const request = { key: idempotencyKey, operation: `reservation.create:${id}`, body: input };
      return createOnce(db, keyring, actor, request, { kind, id }, async (tx) => {
        await authorize(tx, actor, "create", project, environment);
        const env = await environmentForReservation(tx, project, environment, "admit");
        refuseArchived(env, "reservations");
        const quota = await findQuota(tx, project, environment);
        const requested = Object.fromEntries(
          resourceKinds.map((k) => [k, input[k] === undefined ? 0n : parseQuantity(input[k])]),
        ) as Record<(typeof resourceKinds)[number], bigint>;
        const executions = input.executions ?? 0;
        if (quota) {
          const over = overLimits(quota, await usageOf(tx, project, environment), requested, executions);
          if (over.length > 0) {
            throw new TenancyError(
              "quota_exceeded",
              `the quota of environment ${id} does not admit this reservation (${over.join("; ")})`,
              { target: { kind: "Quota", id } },
            );
          }
        }
        const now = clock.now();
        const row = await tx
          .insertInto("reservations")
          .values({
            id: `rsv_${randomBytes(12).toString("base64url")}`,
            project,
            environment,
            cpu_milli: requested.cpu,
            memory_milli: requested.memory,
            gpu_milli: requested.gpu,
            storage_milli: requested.storage,
            executions,
            actor: actor.name,
            created_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const created = toReservation(row);
        await audit(tx, actor, now, "reservation.create", { kind, id: created.id }, undefined, created);
        // Last: the ceilings' rows stay locked from here to the commit only.
        await admitUnderCeilings(tx, project, env.domain, requested, executions);
        return created;
      });
    },

    async remove(actor: Actor, project: string, environment: string, reservationId: string): Promise<void> {
      await transaction(db, { kind, id: reservationId }, async (tx) => {
        await authorize(tx, actor, "delete", project, environment);
        const env = await environmentForReservation(tx, project, environment, "release");
        // One statement: the release, its entry in the history, and the history's oldest entries
        // of this environment dropped.
        const releasedAt = clock.now();
        const row = await tx
          .with("released", (w) =>
            w
              .deleteFrom("reservations")
              .where("id", "=", reservationId)
              .where("project", "=", project)
              .where("environment", "=", environment)
              .returningAll(),
          )
          .with("pruned", (w) =>
            w
              .deleteFrom("reservation_history")
              .where("project", "=", project)
              .where("environment", "=", environment)
              .where("released_at", "<", new Date(releasedAt.getTime() - historyKeptMs)),
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
          .selectAll()
          .executeTakeFirst();
        if (!row) throw notFound(kind, reservationId);
        const released = {
          cpu: BigInt(row.cpu_milli),
          memory: BigInt(row.memory_milli),
          gpu: BigInt(row.gpu_milli),
          storage: BigInt(row.storage_milli),
        };
        await releaseUnderCeilings(tx, project, env.domain, released, row.executions);
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
