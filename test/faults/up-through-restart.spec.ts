// `pulumi up` of an organisation against `tenancy serve` on PostgreSQL, with PostgreSQL restarted in
// the middle: the provider retries `unavailable` until the database is back, the up completes, and
// the next preview shows no changes.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  assertOk,
  createDatabase,
  serve,
  startPostgresCluster,
  withStack,
  type PostgresCluster,
  type ServeProcess,
} from "../../scripts/harness";
import { adminToken, secretKey } from "../api/server";
import { baseSpec, canary, declare, snapshot } from "../engine/organisation";

describe("faults: pulumi up through a PostgreSQL restart", function () {
  this.timeout(600_000);
  let root: string;
  let cluster: PostgresCluster;
  let server: ServeProcess;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-up-restart-"));
    fs.chmodSync(root, 0o755);
    cluster = await startPostgresCluster(path.join(root, "pgdata"));
    server = await serve(["--database-url", await createDatabase(cluster.url)], {
      TENANCY_BOOTSTRAP_TOKEN: adminToken,
      TENANCY_SECRET_KEY: secretKey,
    });
  });
  after(async () => {
    await server?.stop();
    try {
      cluster?.stop("immediate");
    } catch {
      // stopped already
    }
    fs.rmSync(root, { recursive: true, force: true });
  });

  it("completes, and the next preview shows no changes", async () => {
    await withStack(
      {
        program: "organisation",
        config: {
          "org:secret-db": { secret: canary },
          "tenancy:endpoint": server.url,
          "tenancy:token": { secret: adminToken },
        },
      },
      async (stack) => {
        await declare(stack, baseSpec());
        const running = stack.up();
        for (let i = 0; i < 600; i++) {
          const audit = await fetch(`${server.url}/v1/audit?limit=1000`, {
            headers: { authorization: `Bearer ${adminToken}` },
          })
            .then((r) => (r.ok ? (r.json() as Promise<unknown[]>) : []))
            .catch(() => []);
          if (audit.length >= 8) break;
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        cluster.stop("fast");
        await new Promise((resolve) => setTimeout(resolve, 3_000));
        cluster.start();
        const up = await running;
        assertOk(up, "up across the restart");
        assert.match(up.output, /^\s+\+ \d+ created$/m);
        assert.ok(!server.child.exitCode, "tenancy serve is still running");
        assert.match(server.output(), /database unavailable/, "requests of the up met the outage");

        const state = await snapshot({ endpoint: server.url, token: adminToken });
        assert.equal(state.environments.length, 7);
        assert.equal(state.quotas.length, 3);
        assertOk(await stack.preview("--expect-no-changes"), "preview after the restart");
      },
    );
  });
});
