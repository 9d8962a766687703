// After tenancy:endpoint changes, refresh and destroy must reach the new control plane. The engine
// configures providers for them from the state of the last `up` unless --run-program (or the CLI's
// PULUMI_RUN_PROGRAM=true) runs the program, and so the current configuration: plain refresh fails
// saying so, both ways of running the program work.
import { strict as assert } from "node:assert";
import { assertOk, createDatabase, serve, withStack, type ServeProcess } from "../../scripts/harness";
import { adminToken, secretKey } from "../api/server";
import { baseSpec, canary, declare, snapshot } from "./organisation";

describe("engine: refresh and destroy after the endpoint changed", function () {
  this.timeout(600_000);

  it("uses the current endpoint with --run-program or PULUMI_RUN_PROGRAM, and says so without them", async () => {
    const url = await createDatabase();
    const env = { TENANCY_BOOTSTRAP_TOKEN: adminToken, TENANCY_SECRET_KEY: secretKey };
    const old: ServeProcess = await serve(["--database-url", url], env);
    let moved: ServeProcess | undefined;
    try {
      await withStack(
        {
          program: "organisation",
          config: {
            "org:secret-db": { secret: canary },
            "tenancy:endpoint": old.url,
            "tenancy:token": { secret: adminToken },
            "tenancy:retryTimeout": "2",
          },
        },
        async (stack) => {
          const spec = baseSpec();
          await declare(stack, {
            ...spec,
            environments: [],
            quotas: [],
            defaults: [],
            secrets: [],
            roles: [],
          });
          assertOk(await stack.up(), "up against the old endpoint");
          // The control plane moves: same database, another address; the old one is gone.
          await old.stop();
          moved = await serve(["--database-url", url], env);
          await stack.pulumiOk(["config", "set", "tenancy:endpoint", moved.url]);

          const plain = await stack.refresh();
          assert.notEqual(plain.code, 0, "plain refresh reached the moved control plane");
          assert.match(plain.output, /pulumi refresh --run-program/);
          assert.match(plain.output, /PULUMI_RUN_PROGRAM=true/);

          assertOk(await stack.refresh("--run-program"), "refresh --run-program");
          const runProgram = { env: { PULUMI_RUN_PROGRAM: "true" } };
          assertOk(
            await stack.pulumi(["refresh", "--yes", "--skip-preview"], runProgram),
            "refresh, PULUMI_RUN_PROGRAM",
          );
          assertOk(
            await stack.pulumi(["destroy", "--yes", "--skip-preview"], runProgram),
            "destroy, PULUMI_RUN_PROGRAM",
          );
          const after = await snapshot({ endpoint: moved.url, token: adminToken });
          assert.deepEqual([after.domains, after.projects], [[], []]);
        },
      );
    } finally {
      await old.stop();
      await moved?.stop();
    }
  });
});
