// An ApiToken inside its rotation window, through the real CLI over HTTP: the `up` issues the new
// token before it revokes the old one, so a pipeline that keeps reading the stack's output token
// and calling the API with it never holds a dead token.
import { strict as assert } from "node:assert";
import { setTimeout as sleep } from "node:timers/promises";
import { assertOk, withStack } from "../../scripts/harness";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { baseSpec, canary, connect, declare } from "./organisation";

describe("engine: an ApiToken rotated by up (http)", function () {
  this.timeout(600_000);
  let server: TestServer;
  before(async () => (server = await startTestServer("postgres")));
  after(async () => server.close());

  it("keeps a working token in the output at every moment of the rotation", async () => {
    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack) => {
        await connect(stack, server, adminToken);
        const spec = {
          ...baseSpec(),
          tokens: [
            { name: "pipeline", subject: "service:pipeline", expiresIn: "120s", rotateBefore: "100s" },
          ],
        };
        await declare(stack, spec);
        assertOk(await stack.up(), "up");
        const first = ((await stack.outputs()).tokenValues as Record<string, string>).pipeline!;
        const quiet = await stack.preview();
        assert.match(quiet.output, /0 to replace|unchanged/);
        assert.doesNotMatch(quiet.output, /to replace/, "outside the window nothing is replaced");

        await sleep(21_000); // into the window: 100 s before the 120 s expiry
        const planned = await stack.preview();
        assertOk(planned, "preview of the rotation");
        assert.match(planned.output, /\+-\s*1 to replace/);

        // The pipeline: read the output token, call the API with it, over and over, during the up.
        const seen = new Set<string>();
        const refusals: string[] = [];
        let running = true;
        const pipeline = (async () => {
          while (running) {
            const read = await stack.pulumi(["stack", "output", "tokenValues", "--json", "--show-secrets"]);
            if (read.code !== 0) continue; // the state is being written: read again
            const token = (JSON.parse(read.stdout) as Record<string, string>).pipeline!;
            seen.add(token);
            const answer = await server.request("GET", "/v1/domains", { token });
            // Refused: a defect only if the output still gives this token; read just before the
            // switch, the next read gets the live one.
            if (answer.status === 200) continue;
            const again = await stack.pulumi(["stack", "output", "tokenValues", "--json", "--show-secrets"]);
            if (again.code === 0 && (JSON.parse(again.stdout) as Record<string, string>).pipeline === token)
              refusals.push(
                `${answer.status} for ${token === first ? "the first" : "a new"} token still in the output`,
              );
          }
        })();
        const up = await stack.up();
        running = false;
        await pipeline;
        assertOk(up, "up with the rotation");
        assert.match(up.output, /\+-\s*1 replaced/);

        const second = ((await stack.outputs()).tokenValues as Record<string, string>).pipeline!;
        assert.notEqual(second, first);
        assert.deepEqual(refusals, [], "the pipeline held a dead token");
        assert.ok(seen.has(first), "the loop ran during the up");
        assert.equal((await server.request("GET", "/v1/domains", { token: second })).status, 200);
        assert.equal(
          (await server.request("GET", "/v1/domains", { token: first })).status,
          401,
          "the old token is revoked",
        );
      },
    );
  });
});
