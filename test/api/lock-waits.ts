// Tests that hold a lock on a connection of their own wait, on that connection, until the server's
// statements queue behind it.
import type { Client } from "pg";

/** Returns once at least `count` backends of the database wait for a lock. */
export async function lockWaiters(client: Client, count: number): Promise<void> {
  for (;;) {
    // Inside the client's transaction the activity view would stay as first read.
    await client.query("select pg_stat_clear_snapshot()");
    const { rows } = await client.query<{ n: number }>(
      "select count(*)::int as n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()",
    );
    if (rows[0]!.n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
