// Migrations 0005 and 0007 on a store that already has ceilings and live reservations: each
// ceiling's and each environment's totals start as what the reservations below it hold. And the
// statements of servers of an earlier version keep working under the latest schema, as they must
// during a rolling upgrade.
import { strict as assert } from "node:assert";
import { Kysely, PostgresDialect, sql } from "kysely";
import { Migrator } from "kysely/migration";
import { Pool } from "pg";
import { createDatabase } from "../../scripts/harness";
import { migrationProvider } from "../../server/store/migrations/index";
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

  it("keeps the admission of servers from before group admission, counted with the groups", async () => {
    const db = new Kysely<unknown>({
      dialect: new PostgresDialect({ pool: new Pool({ connectionString: await createDatabase() }) }),
    });
    try {
      assert.equal(
        (await new Migrator({ db, provider: migrationProvider }).migrateToLatest()).error,
        undefined,
      );
      await sql`insert into domains (name, tier) values ('production', 'production')`.execute(db);
      await sql`insert into projects (name) values ('web')`.execute(db);
      await sql`insert into environments (project, name, domain) values ('web', 'production', 'production')`.execute(
        db,
      );
      await sql`insert into ceilings (project, cpu) values ('web', '2')`.execute(db);
      // As a server from before migration 0011 admits: tenancy_admit, one reservation per statement.
      const earlier = await sql<{ admission: { admitted: boolean } }>`select tenancy_admit(
          'web', 'production', 1000, 0, 0, 0, 0, now(), 'runtime', 'reservation.create', 'Reservation', 'r1',
          null, '{}'::jsonb, null, null, null, null) as admission`.execute(db);
      assert.equal(earlier.rows[0]!.admission.admitted, true);
      const group = [1, 2].map((n) => ({
        id: `g${n}`,
        cpu: "1000",
        memory: "0",
        gpu: "0",
        storage: "0",
        executions: 0,
        at: new Date().toISOString(),
        actor: "runtime",
        action: "reservation.create",
        target_kind: "Reservation",
        after: {},
      }));
      const grouped = await sql<{ admission: { results: unknown[] } }>`select tenancy_admit_group(
          'web', 'production', ${JSON.stringify(group)}::jsonb) as admission`.execute(db);
      // The ceiling of 2 CPUs holds across both: the first of the group fits, the second does not.
      assert.deepEqual(
        grouped.rows[0]!.admission.results.map((r) => (r as { admitted: boolean }).admitted),
        [true, false],
      );
      const totals = await sql<{ environment: string; ceiling: string }>`select
          (select used_cpu_milli::text from environments) as environment,
          (select used_cpu_milli::text from ceilings) as ceiling`.execute(db);
      assert.deepEqual(totals.rows, [{ environment: "2000", ceiling: "2000" }]);
    } finally {
      await db.destroy();
    }
  });
});
