// Statements the server sends again and again (a token's lookup, an environment's read, an
// admission) are prepared once per connection and then only bound and executed: PostgreSQL plans
// them once instead of at every request, which on the hot paths costs more than running them (the
// bench measures 2.6–4.7× the throughput with the same statements prepared). A statement is
// prepared from its third use; texts seen only once or twice (ad hoc lists of values) are never
// named, and the number of texts tracked is bounded.
import type { Pool, PoolClient, QueryResult } from "pg";

const preparedAfterUses = 3;
const maxTrackedTexts = 2_000;

/** A statement PostgreSQL can no longer run as prepared: its result's shape changed under it (a
 * migration run by another server, during a rolling upgrade). */
export function isStalePlan(err: unknown): boolean {
  return (
    (err as { code?: unknown })?.code === "0A000" &&
    /cached plan must not change result type/.test(String((err as Error).message))
  );
}

export function prepareRepeatedStatements(pool: Pool): void {
  const texts = new Map<string, { uses: number; name?: string }>();
  let named = 0;

  function nameFor(text: string): string | undefined {
    let entry = texts.get(text);
    if (!entry) {
      if (texts.size >= maxTrackedTexts) return undefined;
      entry = { uses: 0 };
      texts.set(text, entry);
    }
    if (entry.name) return entry.name;
    if (++entry.uses >= preparedAfterUses) entry.name = `tenancy_${++named}`;
    return entry.name;
  }

  pool.on("connect", (client: PoolClient) => {
    const query = client.query.bind(client) as (...args: unknown[]) => Promise<QueryResult>;
    let inTransaction = false;
    // Anything but (text, values) — a cursor, a callback — goes through untouched.
    client.query = ((...args: unknown[]) => {
      const [text, values, callback] = args;
      if (typeof text !== "string" || !Array.isArray(values) || callback !== undefined) return query(...args);
      if (/^\s*(begin|start transaction)\b/i.test(text)) inTransaction = true;
      else if (/^\s*(commit|rollback)\b/i.test(text)) inTransaction = false;
      else return send(text, values);
      return query(text, values);
    }) as typeof client.query;

    async function send(text: string, values: unknown[]) {
      const name = nameFor(text);
      if (!name) return query(text, values);
      try {
        return await query({ name, text, values });
      } catch (err) {
        if (!isStalePlan(err)) throw err;
        // Prepared afresh under a new name at its next use. Alone, the statement is simply sent
        // again; inside a transaction, which the error has aborted, the request fails as
        // `unavailable` and its caller retries.
        texts.delete(text);
        if (inTransaction) throw err;
        return query(text, values);
      }
    }
  });
}
