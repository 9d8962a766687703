// The statements every request sends (its token's lookup, an environment's read, the effective
// configuration, a quota write's, an admission's) have a shape that never changes: they are built
// and compiled by Kysely once, and later calls only bind their values. Building and compiling was a
// tenth of a read's CPU time and a quarter of a write's (bench/README.md); a release builds its
// statement while it holds its environment's lock.
import { CompiledQuery, type Compilable } from "kysely";
import type { Queryable } from "./context";

/**
 * `build` must give the same SQL whatever its arguments (no branch on their values, which it sees
 * only as opaque parameters: it may not compute with them): it is called once, with placeholder
 * strings, and each parameter of the result is bound to the argument it came from (or kept, when it
 * is a constant of the query).
 */
export function compiledOnce<Args extends unknown[], Row>(
  build: (q: Queryable, ...args: Args) => Compilable<Row>,
) {
  let compiled: { sql: string; bind: (args: Args) => unknown[] } | undefined;
  return async (q: Queryable, ...args: Args): Promise<Row[]> => {
    if (!compiled) {
      const placeholders = args.map((_, i) => `\u0000argument ${i}\u0000`);
      const query = build(q, ...(placeholders as Args)).compile();
      // Each parameter: the index of the argument it takes, or its constant value.
      const slots: ({ index: number } | { constant: unknown })[] = query.parameters.map((p) => {
        const index = placeholders.indexOf(p as string);
        return index >= 0 ? { index } : { constant: p };
      });
      const unbound = placeholders.findIndex((_, i) => !slots.some((s) => "index" in s && s.index === i));
      if (unbound >= 0)
        throw new Error(`compiledOnce: argument ${unbound} is not a parameter of ${query.sql}`);
      compiled = {
        sql: query.sql,
        bind: (values) => slots.map((slot) => ("index" in slot ? values[slot.index] : slot.constant)),
      };
    }
    const result = await q.executeQuery<Row>(CompiledQuery.raw(compiled.sql, compiled.bind(args)));
    return result.rows;
  };
}
