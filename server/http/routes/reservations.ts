import * as m from "../../../model";
import { envUrl as env, route } from "../route";

export const reservationsRoutes = [
  route({
    method: "GET",
    url: `${env}/reservations`,
    operationId: "listReservations",
    tag: "reservations",
    summary: "List live reservations",
    response: m.reservationSchema.array(),
    handle: (s, r) => s.reservations.list(r.actor, r.params.project, r.params.environment),
  }),
  route({
    method: "POST",
    url: `${env}/reservations`,
    operationId: "createReservation",
    tag: "reservations",
    summary: "Reserve amounts against the quota, or get quota_exceeded",
    status: 201,
    body: m.reservationCreateSchema,
    response: m.reservationSchema,
    handle: (s, r) =>
      s.reservations.create(r.actor, r.params.project, r.params.environment, r.body, r.idempotencyKey),
  }),
  route({
    method: "DELETE",
    url: `${env}/reservations/:id`,
    operationId: "deleteReservation",
    tag: "reservations",
    summary: "Release a reservation",
    status: 204,
    handle: (s, r) => s.reservations.remove(r.actor, r.params.project, r.params.environment, r.params.id),
  }),
];
