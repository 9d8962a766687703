// The embedded transport serves its own process only: a large organisation's refresh sends one
// request per resource, and none of them may be refused as if it came from a stranger.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createApiClient } from "../../client";
import { createEmbeddedTransport } from "../../provider/embedded";

describe("api embedded transport", function () {
  this.timeout(120_000);

  it("answers more requests than a listening server's rate limit allows in a minute", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-embedded-"));
    fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
    const transport = createEmbeddedTransport({ dataDir });
    const client = createApiClient(transport);
    let answered = 0;
    try {
      await client.domains.create({ name: "production", tier: "production" });
      // The default limit of `tenancy serve` is 6,000 per minute; a refresh of 6,603 resources
      // sends that many reads in well under a minute.
      for (let i = 0; i < 6_500; i++) {
        if ((await client.domains.get("production")).name === "production") answered++;
      }
    } finally {
      await transport.close?.();
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
    assert.equal(answered, 6_500);
  });
});
