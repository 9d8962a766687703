// Migrations 0005 and 0007 on a store that already has ceilings and live reservations: each
// ceiling's and each environment's totals start as what the reservations below it hold.
import { strict as assert } from "node:assert";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { Pool } from "pg";
import { createDatabase } from "../../scripts/harness";
import { migrationProvider } from "../../server/store/migrations";
import { STORES } from "./server";

(STORES.includes("postgres") ? describe : describe.skip)("store migrations (postgres)", function () {
  this.timeout(60_000);

  it("counts the live reservations below each ceiling and environment when the totals are added", async () => {
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new Pool({ connectionString: await createDatabase() }) }),
    });
    try {
      const migrator = new Migrator({ db, provider: migrationProvider });
      assert.equal((await migrator.migrateTo("0004_identities_and_ceilings")).error, undefined);
      await sql`insert into domains (name, tier) values ('production', 'production'), ('development', 'non-production')`.execute(
        db,
      );
      await sql`insert into projects (name) values ('web'), ('api')`.execute(db);
      await sql`insert into environments (project, name, domain) values
        ('web', 'production', 'production'), ('web', 'development', 'development'), ('api', 'production', 'production')`.execute(
        db,
      );
      await sql`insert into ceilings (project) values ('web')`.execute(db);
      await sql`insert into ceilings (domain) values ('production')`.execute(db);
      await sql`insert into reservations (id, project, environment, cpu_milli, memory_milli, executions, actor) values
        ('r1', 'web', 'production', 1000, 5, 1, 'a'), ('r2', 'web', 'development', 500, 0, 2, 'a'),
        ('r3', 'api', 'production', 250, 0, 4, 'a')`.execute(db);
      assert.equal((await migrator.migrateToLatest()).error, undefined);
      const rows = await sql<{ scope: string; cpu: string; memory: string; executions: string }>`
        select coalesce(project, domain) as scope, used_cpu_milli::text as cpu, used_memory_milli::text as memory,
          used_executions::text as executions from ceilings order by scope`.execute(db);
      assert.deepEqual(rows.rows, [
        { scope: "production", cpu: "1250", memory: "5", executions: "5" },
        { scope: "web", cpu: "1500", memory: "5", executions: "3" },
      ]);
      const environments = await sql<{ id: string; cpu: string; memory: string; executions: string }>`
        select project || '/' || name as id, used_cpu_milli::text as cpu, used_memory_milli::text as memory,
          used_executions::text as executions from environments order by id`.execute(db);
      assert.deepEqual(environments.rows, [
        { id: "api/production", cpu: "250", memory: "0", executions: "4" },
        { id: "web/development", cpu: "500", memory: "0", executions: "2" },
        { id: "web/production", cpu: "1000", memory: "5", executions: "1" },
      ]);
    } finally {
      await db.destroy();
    }
  });
});
