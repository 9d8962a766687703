import { z } from "zod";
import { perResourceKind, quantitySchema } from "./common";

/** Amounts a runtime reserves against an environment's quota before it starts work. */
export const reservationCreateSchema = z
  .strictObject({
    ...perResourceKind(quantitySchema.optional()),
    executions: z.number().int().min(0).max(1_000_000).optional(),
  })
  .refine((r) => Object.values(r).some((v) => v !== undefined), "reserve at least one amount");
export type ReservationCreate = z.output<typeof reservationCreateSchema>;

export const reservationSchema = z.object({
  id: z.string(),
  project: z.string(),
  environment: z.string(),
  ...perResourceKind(z.string()),
  executions: z.number().int(),
  createdAt: z.string(),
});
export type Reservation = z.output<typeof reservationSchema>;
