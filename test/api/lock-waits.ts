// Tests that hold a lock on a connection of their own wait, on that connection, until the server's
// statements queue behind it.
import type { Client } from "pg";

/** Returns once at least `count` backends wait behind a lock that `client`'s backend holds,
 * directly or behind another such waiter. Only those: a backend waiting on anything else (another
 * test's, a request still finishing) is not the wait the caller is about to act on. */
export async function lockWaiters(client: Client, count: number): Promise<void> {
  for (;;) {
    // Inside the client's transaction the activity view would stay as first read.
    await client.query("select pg_stat_clear_snapshot()");
    const { rows } = await client.query<{ n: number }>(
      `with recursive behind(pid) as (
         select pid from pg_stat_activity where pg_backend_pid() = any(pg_blocking_pids(pid))
         union
         select a.pid from pg_stat_activity a join behind b on b.pid = any(pg_blocking_pids(a.pid))
       )
       select count(*)::int as n from behind`,
    );
    if (rows[0]!.n >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
