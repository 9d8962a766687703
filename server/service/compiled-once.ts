// The statements every request sends (its token's lookup, an environment's read, the effective
// configuration, a quota write's, an admission's) have a shape that never changes: they are built
// and compiled by Kysely once, and later calls only bind their values. Building and compiling was a
// tenth of a read's CPU time and a quarter of a write's (bench/README.md); a release builds its
// statement while it holds its environment's lock.
import { CompiledQuery, type Compilable } from "kysely";
import type { Queryable } from "./context";

/** A statement compiled once: its SQL, and how a call's arguments bind to its parameters. */
interface Compiled<Args> {
  sql: string;
  bind: (args: Args) => unknown[];
}

/**
 * Compiles `query`, built from the placeholders of `placeholders` (each mapped to how it takes its
 * value from a call's arguments); a parameter that is no placeholder is a constant of the query.
 */
function compile<Args>(
  query: { sql: string; parameters: readonly unknown[] },
  placeholders: Map<unknown, (args: Args) => unknown>,
): Compiled<Args> {
  const slots = query.parameters.map((p) => placeholders.get(p) ?? (() => p));
  const unbound = [...placeholders.keys()].find((p) => !query.parameters.includes(p));
  if (unbound !== undefined)
    throw new Error(
      `compiledOnce: ${String(unbound).replaceAll("\u0000", "")} is not a parameter of ${query.sql}`,
    );
  return { sql: query.sql, bind: (args) => slots.map((slot) => slot(args)) };
}

async function run<Args, Row>(q: Queryable, compiled: Compiled<Args>, args: Args): Promise<Row[]> {
  const result = await q.executeQuery<Row>(CompiledQuery.raw(compiled.sql, compiled.bind(args)));
  return result.rows;
}

/**
 * `build` must give the same SQL whatever its arguments (no branch on their values, which it sees
 * only as opaque parameters: it may not compute with them): it is called once, with placeholder
 * strings, and each parameter of the result is bound to the argument it came from (or kept, when it
 * is a constant of the query).
 */
export function compiledOnce<Args extends unknown[], Row>(
  build: (q: Queryable, ...args: Args) => Compilable<Row>,
) {
  let compiled: Compiled<Args> | undefined;
  return async (q: Queryable, ...args: Args): Promise<Row[]> => {
    if (!compiled) {
      const placeholders = new Map(
        args.map((_, i) => [`\u0000argument ${i}\u0000`, (a: Args) => a[i]] as const),
      );
      compiled = compile(build(q, ...([...placeholders.keys()] as Args)).compile(), placeholders);
    }
    return run(q, compiled, args);
  };
}

/**
 * compiledOnce for a statement whose arguments are one record of named values (each a parameter):
 * `build` reads the record's fields, which are placeholders while it is compiled.
 */
export function compiledOnceNamed<Args extends Record<string, unknown>, Row>(
  build: (q: Queryable, args: Args) => Compilable<Row>,
) {
  let compiled: Compiled<Args> | undefined;
  return async (q: Queryable, args: Args): Promise<Row[]> => {
    if (!compiled) {
      const placeholders = new Map(
        Object.keys(args).map((name) => [`\u0000argument ${name}\u0000`, (a: Args) => a[name]] as const),
      );
      const record = Object.fromEntries([...placeholders.keys()].map((p, i) => [Object.keys(args)[i], p]));
      compiled = compile(build(q, record as Args).compile(), placeholders);
    }
    return run(q, compiled, args);
  };
}
