// An admission is judged inside the database (tenancy_admit_group, migration 0011, with the helpers
// of migration 0008), against limits stored as quantity text: tenancy_quantity_milli must read every
// quantity exactly as model/quantity.ts
// does, on PGlite and on PostgreSQL, or the database would admit what the model's arithmetic
// refuses (or the reverse).
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { sql } from "kysely";
import { createDatabase } from "../../scripts/harness";
import { parseQuantity } from "../../model";
import { openStore, type Store } from "../../server/store/open";
import { STORES } from "./server";

const suffixes = ["", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

/** Quantity text as users write it: digits with or without a fraction or a whole part, a suffix. */
const quantityText = fc
  .tuple(
    fc.oneof(fc.constant(""), fc.stringMatching(/^[0-9]{1,8}$/)),
    fc.oneof(fc.constant(""), fc.stringMatching(/^\.[0-9]{1,6}$/)),
    fc.constantFrom(...suffixes),
    fc.constantFrom("", " "),
  )
  .map(([whole, fraction, suffix, pad]) => `${pad}${whole}${fraction}${suffix}${pad}`);

/** What the model makes of the text: its milli-units, or null when it refuses it. */
function modelMilli(text: string): string | null {
  try {
    return parseQuantity(text).toString();
  } catch {
    return null;
  }
}

for (const kind of STORES) {
  describe(`admission arithmetic in the database (${kind})`, function () {
    this.timeout(120_000);
    let store: Store;
    let dataDir: string | undefined;

    before(async () => {
      if (kind === "pglite") {
        dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-admission-"));
        fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
        store = await openStore({ kind, dataDir });
      } else {
        store = await openStore({ kind, url: await createDatabase() });
      }
    });
    after(async () => {
      await store?.close();
      if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    });

    /** The database's milli-units for the text, without the trailing zero decimals numeric keeps. */
    const databaseMilli = async (text: string) => {
      const { rows } = await sql<{
        milli: string | null;
      }>`select tenancy_quantity_milli(${text})::text as milli`.execute(store.db);
      return rows[0]!.milli?.replace(/\.0*$/, "") ?? null;
    };

    it("reads every quantity the model accepts as the same milli-units", async () => {
      await fc.assert(
        fc.asyncProperty(quantityText, async (text) => {
          // Limits are stored only once the model accepted them: those must read the same.
          const expected = modelMilli(text);
          if (expected !== null) assert.equal(await databaseMilli(text), expected, text);
        }),
        { numRuns: 300 },
      );
    });

    it("reads the largest quantities and every suffix exactly", async () => {
      for (const text of [
        "1000E",
        "1Ei",
        "999Pi",
        ".001",
        "1.000",
        "1m",
        "0",
        "7.25Gi",
        "1.5Ti",
        "123456789012k",
      ]) {
        assert.notEqual(modelMilli(text), null, text);
        assert.equal(await databaseMilli(text), modelMilli(text), text);
      }
    });

    it("reads nothing from text that is not a quantity, and judges such a limit as refusing", async () => {
      for (const text of ["", "abc", "1.5x", "-1", "1e3", "١٢", "1 Gi", "Gi"]) {
        assert.equal(modelMilli(text), null, text);
        assert.equal(await databaseMilli(text), null, text);
      }
      const fits = async (allowed: string | null, used: number, requested: number) =>
        (
          await sql<{
            fits: boolean;
          }>`select tenancy_fits(${allowed}, ${used}, ${requested}) as fits`.execute(store.db)
        ).rows[0]!.fits;
      assert.equal(await fits("abc", 0, 1), false);
      assert.equal(await fits("2", 1000, 1000), true);
      assert.equal(await fits("2", 1000, 1001), false);
      // Not asked for, not judged (as overLimits): usage past a lowered limit blocks nothing else.
      assert.equal(await fits("1", 5000, 0), true);
      assert.equal(await fits(null, 5000, 1), true);
    });
  });
}
