import { sql, type Kysely } from "kysely";
import type { Migration } from "kysely/migration";

/** What each environment's live reservations hold, kept on its row by every admission and release
 * (the row an admission locks anyway), so an admission costs the same however many are live. */
export const migration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table environments
        add column used_cpu_milli numeric(40, 0) not null default 0,
        add column used_memory_milli numeric(40, 0) not null default 0,
        add column used_gpu_milli numeric(40, 0) not null default 0,
        add column used_storage_milli numeric(40, 0) not null default 0,
        add column used_executions bigint not null default 0`.execute(db);
    await sql`
      update environments e set
        used_cpu_milli = u.cpu, used_memory_milli = u.memory, used_gpu_milli = u.gpu,
        used_storage_milli = u.storage, used_executions = u.executions
      from (
        select project, environment, sum(cpu_milli) as cpu, sum(memory_milli) as memory,
          sum(gpu_milli) as gpu, sum(storage_milli) as storage, sum(executions) as executions
        from reservations group by project, environment
      ) u
      where e.project = u.project and e.name = u.environment`.execute(db);
  },
};
