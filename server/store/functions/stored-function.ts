import type { Kysely, RawBuilder } from "kysely";

/**
 * A stored function with its current body. A function's file is its only definition: the
 * migration that introduces it applies it, and so does every migration that changes it
 * (`create or replace`), so reading the file tells what runs today.
 */
export interface StoredFunction {
  name: string;
  definition: RawBuilder<unknown>;
}

/** Applies each function's current definition, in order (a function before those that call it). */
export async function applyFunctions(db: Kysely<unknown>, ...functions: StoredFunction[]) {
  for (const fn of functions) await fn.definition.execute(db);
}
