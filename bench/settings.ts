// What a bench run measures, from its environment (BENCH_*), and what its parts share.
import { randomBytes } from "node:crypto";

export const adminToken = `tny_bench-${randomBytes(16).toString("hex")}`;
export const secretKey = randomBytes(32).toString("base64");

export const sizes = (process.env.BENCH_SIZES ?? "10").split(",").map(Number);
export const scaleSizes = (process.env.BENCH_SCALE_SIZES ?? "100,300").split(",").map(Number);
export const reps = Number(process.env.BENCH_REPS ?? 3);
export const databaseReps = Number(process.env.BENCH_DATABASE_REPS ?? 3);
/** The API's and pgbench's connections in each database cell. */
export const connectionCounts = [1, 16, 64];
/** Which parts run: `database,engine,scale,steady,sync` by default. A run of fewer parts writes its figures beside
 * bench/RESULTS.md (RESULTS-engine.md, …), which stays the record of one complete run. */
export const allParts = ["database", "engine", "scale", "steady", "sync"] as const;
export const parts = (process.env.BENCH_PARTS ?? allParts.join(",")).split(",");
for (const part of parts) {
  if (!(allParts as readonly string[]).includes(part)) throw new Error(`BENCH_PARTS: unknown part ${part}`);
}
export const steps = [
  "preview (empty)",
  "up (create all)",
  "preview (no change)",
  "up (1% of quotas)",
  "refresh",
  "destroy",
] as const;
export type Step = (typeof steps)[number];

/** tenancy's resources; the floor (no-op resources with the same arguments); and the floor with
 * tenancy's properties (the same no-op resources, given every property a tenancy resource has:
 * its outputs and the SDK's internal inputs). */
export const modes = ["tenancy", "floor", "floor-outputs"] as const;
export type Mode = (typeof modes)[number];

export interface Sample {
  seconds: Record<Step, number>;
  requests: Partial<Record<Step, number>>;
  stateBytes: number;
  providerBytesPerResource: number;
  resources: number;
}
