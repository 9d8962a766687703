// The embedded store's data folder holds secrets' ciphertext and tokens' hashes: nobody but its
// owner may read it, whatever the umask of the process that opened it.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sql } from "kysely";
import { loadKeyring } from "../../server/keys";
import { openStore } from "../../server/store/open";

function modes(dir: string): string[] {
  const found: string[] = [];
  const walk = (at: string) => {
    found.push(`${path.relative(dir, at) || "."} ${(fs.statSync(at).mode & 0o777).toString(8)}`);
    if (fs.statSync(at).isDirectory()) for (const entry of fs.readdirSync(at)) walk(path.join(at, entry));
  };
  walk(dir);
  return found;
}

describe("faults: the data folder's permissions", function () {
  this.timeout(60_000);
  let root: string;
  let umask: number;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-modes-"));
    umask = process.umask(0); // the most permissive umask a process can have
  });
  afterEach(() => {
    process.umask(umask);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("keeps the folder 0700 and every file 0600 while open and after closing, with umask 000", async () => {
    const dataDir = path.join(root, "data");
    fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
    loadKeyring({}, dataDir);
    const store = await openStore({ kind: "pglite", dataDir });
    try {
      await sql`create table written (x int)`.execute(store.db);
      assert.equal((fs.statSync(dataDir).mode & 0o777).toString(8), "700");
    } finally {
      await store.close();
    }
    for (const line of modes(dataDir)) {
      const [entry, mode] = line.split(" ");
      const isDir = fs.statSync(path.join(dataDir, entry!)).isDirectory();
      assert.equal(mode, isDir ? "700" : "600", entry);
    }
  });
});
