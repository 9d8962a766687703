// A statement compiled once: built with placeholders at its first call, then only bound. The SQL
// sent must be Kysely's for the same arguments, and each parameter the argument it came from.
import { strict as assert } from "node:assert";
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
} from "kysely";
import { compiledOnce } from "../../../server/service/compiled-once";
import type { Database } from "../../../server/store/schema";

describe("compiledOnce", () => {
  let sent: CompiledQuery[];
  const db = new Kysely<Database>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
    log: (event) => void sent.push(event.query),
  });
  beforeEach(() => (sent = []));

  const updateQuota = (q: typeof db, project: string, cpu: string | null, version: number, at: Date) =>
    q
      .updateTable("quotas")
      .set({ cpu, version, updated_at: at, memory: null })
      .where("project", "=", project)
      .where("environment", "=", "production")
      .returningAll();

  it("sends Kysely's SQL, with each call's arguments bound and the query's constants kept", async () => {
    const compiled = compiledOnce(updateQuota);
    const calls: [string, string | null, number, Date][] = [
      ["web", "2", 3, new Date(0)],
      ["api", null, 8, new Date(1)],
      ["web", "2", 2, new Date(2)], // an argument equal to another is still bound by position
    ];
    for (const args of calls) await compiled(db, ...args);
    const expected = calls.map((args) => updateQuota(db, ...args).compile());
    assert.deepEqual(
      sent.map((query) => ({ sql: query.sql, parameters: query.parameters })),
      expected.map((query) => ({ sql: query.sql, parameters: query.parameters })),
    );
  });

  it("refuses a statement that does not take one of its arguments as a parameter", async () => {
    const compiled = compiledOnce((q: typeof db, project: string, _unused: string) =>
      q.selectFrom("projects").selectAll().where("name", "=", project),
    );
    await assert.rejects(compiled(db, "web", "x"), /argument 1 is not a parameter/);
    assert.equal(sent.length, 0);
  });
});
