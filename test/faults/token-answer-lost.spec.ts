// The answer to an ApiToken's issue lost on its way back (the network or the provider died after
// the server stored the token): the stack never records that token, and the rerun issues another.
// The first used to stay valid, unknown to anyone; now the next issue for the same resource
// revokes it, and exactly one valid token remains: the stack's.
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type * as net from "node:net";
import { assertOk, withStack } from "../../scripts/harness";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { baseSpec, canary, connect, declare } from "../engine/organisation";

/** A proxy to `upstream` that forwards the first token issue, lets the server answer it, and
 * then drops the connection instead of passing the answer on. */
async function answerLosingProxy(upstream: string) {
  let dropped = 0;
  const target = new URL(upstream);
  const proxy = http.createServer((request, response) => {
    const forward = http.request(
      {
        host: target.hostname,
        port: target.port,
        path: request.url,
        method: request.method,
        headers: request.headers,
      },
      (answer) => {
        if (request.method === "POST" && request.url?.startsWith("/v1/tokens") && dropped === 0) {
          dropped++;
          answer.resume();
          answer.on("end", () => request.socket.destroy());
          return;
        }
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    forward.on("error", () => request.socket.destroy());
    request.pipe(forward);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      }),
  };
}

describe("faults: the answer to an ApiToken's issue is lost", function () {
  this.timeout(600_000);
  let server: TestServer;
  before(async () => (server = await startTestServer("pglite")));
  after(async () => server.close());

  it("leaves exactly one valid token for the resource: the one its stack holds", async () => {
    const proxy = await answerLosingProxy(server.url);
    try {
      await withStack(
        { program: "organisation", config: { "org:secret-db": { secret: canary } } },
        async (stack) => {
          await connect(stack, { url: proxy.url }, adminToken);
          await declare(stack, {
            ...baseSpec(),
            tokens: [{ name: "pipeline", subject: "service:pipeline" }],
          });
          const first = await stack.up();
          assert.equal(proxy.dropped(), 1, "the first issue's answer was dropped");
          if (first.code !== 0) assertOk(await stack.up(), "the rerun");

          const tokens = await server.request("GET", "/v1/tokens");
          const issued = (
            tokens.body as { id: string; managedBy: { urn: string } | null; revokedAt?: string }[]
          ).filter((t) => t.managedBy?.urn.endsWith("ApiToken::pipeline"));
          assert.equal(issued.length, 2, "the lost issue and the rerun's");
          const live = issued.filter((t) => t.revokedAt === undefined);
          assert.equal(live.length, 1, JSON.stringify(issued));
          const held = ((await stack.outputs()).tokenValues as Record<string, string>).pipeline!;
          assert.equal(
            (await server.request("GET", "/v1/teams", { token: held })).status,
            200,
            "the stack's token works",
          );
          const audit = await server.request("GET", "/v1/audit?action=token.revoke");
          assert.ok(
            (audit.body as { targetId: string }[]).some(
              (e) => e.targetId === issued.find((t) => t.revokedAt)!.id,
            ),
            "the revocation is audited",
          );
        },
      );
    } finally {
      await proxy.close();
    }
  });
});
