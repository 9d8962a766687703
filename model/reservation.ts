import { z } from "zod";
import { quantitySchema } from "./common";

/** Amounts a runtime reserves against an environment's quota before it starts work. */
export const reservationCreateSchema = z
  .strictObject({
    cpu: quantitySchema.optional(),
    memory: quantitySchema.optional(),
    gpu: quantitySchema.optional(),
    storage: quantitySchema.optional(),
    executions: z.number().int().min(0).max(1_000_000).optional(),
  })
  .refine((r) => Object.values(r).some((v) => v !== undefined), "reserve at least one amount");
export type ReservationCreate = z.output<typeof reservationCreateSchema>;

export const reservationSchema = z.object({
  id: z.string(),
  project: z.string(),
  environment: z.string(),
  cpu: z.string(),
  memory: z.string(),
  gpu: z.string(),
  storage: z.string(),
  executions: z.number().int(),
  createdAt: z.string(),
});
export type Reservation = z.output<typeof reservationSchema>;
