// Databases opened directly, without a store (so without migrating them), for the suites that test
// migrations themselves.
import { Kysely, PGliteDialect } from "kysely";

/** A Kysely over PGlite in `dir`; destroying it closes PGlite too. */
export async function pgliteDatabase(dir: string): Promise<Kysely<unknown>> {
  const { PGlite } = await import("@electric-sql/pglite");
  const pglite = await PGlite.create(dir);
  const db = new Kysely<unknown>({ dialect: new PGliteDialect({ pglite }) });
  const destroy = db.destroy.bind(db);
  db.destroy = async () => {
    await destroy();
    if (!pglite.closed) await pglite.close();
  };
  return db;
}
