// A store kept open between commands (TENANCY_KEEP_OPEN) killed with `kill -9` while a command
// writes through it: the command's next requests go to a new holder, which takes over the dead
// one's lock and socket, and every write lands exactly once.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createApiClient } from "../../client";
import { createEmbeddedTransport } from "../../provider/embedded";
import { folderHolder } from "../../scripts/harness";

describe("faults: a kept-open store killed mid-command", function () {
  this.timeout(180_000);

  it("sends the command's requests to a new holder, losing and duplicating nothing", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-kept-open-"));
    fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
    const transport = createEmbeddedTransport({ dataDir, keepOpenSeconds: 30 });
    const client = createApiClient(transport);
    const names = Array.from({ length: 30 }, (_, i) => `domain-${i}`);
    let first: number | undefined;
    let second: number | undefined;
    try {
      let done = 0;
      const writes = (async () => {
        for (const name of names) {
          await client.domains.create({ name, tier: "non-production" });
          done++;
        }
      })();
      while (done < 10) await new Promise((resolve) => setTimeout(resolve, 5));
      first = folderHolder(dataDir)!;
      process.kill(first, "SIGKILL");
      await writes;
      second = folderHolder(dataDir)!;
      assert.notEqual(second, first, "a new holder took the folder over");
      const listed = (await client.domains.list())
        .map((domain) => domain.name)
        .filter((n) => n.startsWith("domain-"));
      assert.deepEqual(listed.sort(), [...names].sort());
    } finally {
      await transport.close?.();
      for (const pid of [first, second]) {
        try {
          if (pid) process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
