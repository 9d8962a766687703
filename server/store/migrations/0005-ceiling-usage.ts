import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** What the live reservations below each ceiling hold, kept by every admission and release so that
 * an admission costs the same however many reservations are live (see server/service/ceilings.ts). */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table ceilings
        add column used_cpu_milli numeric(40, 0) not null default 0,
        add column used_memory_milli numeric(40, 0) not null default 0,
        add column used_gpu_milli numeric(40, 0) not null default 0,
        add column used_storage_milli numeric(40, 0) not null default 0,
        add column used_executions bigint not null default 0`.execute(db);
    for (const [column, scope] of [
      ["project", sql`r.project = ceilings.project`],
      [
        "domain",
        sql`exists (select 1 from environments e where e.project = r.project and e.name = r.environment and e.domain = ceilings.domain)`,
      ],
    ] as const) {
      await sql`
        update ceilings set
          used_cpu_milli = coalesce((select sum(cpu_milli) from reservations r where ${scope}), 0),
          used_memory_milli = coalesce((select sum(memory_milli) from reservations r where ${scope}), 0),
          used_gpu_milli = coalesce((select sum(gpu_milli) from reservations r where ${scope}), 0),
          used_storage_milli = coalesce((select sum(storage_milli) from reservations r where ${scope}), 0),
          used_executions = coalesce((select sum(executions) from reservations r where ${scope}), 0)
        where ${sql.ref(column)} is not null`.execute(db);
    }
  },
};
