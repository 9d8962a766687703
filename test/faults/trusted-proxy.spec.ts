// Behind a reverse proxy every request comes from the proxy's address. Failed authentications are
// counted per client, so the server must take the client's address from X-Forwarded-For, but only
// when the proxy sent it (--trusted-proxy): from any other peer the header is a client's own claim,
// and believing it would let a guesser escape the limit by naming a new address each time.
import { strict as assert } from "node:assert";
import { STORES, startTestServer, type TestServer } from "../api/server";

const limit = { max: 3, windowMs: 60_000 };

/** A request with a bad token, as forwarded for `client`. */
const guess = (server: TestServer, client: string) =>
  server.request("GET", "/v1/projects", {
    token: "tny_wrong-token-guess-0000000000",
    headers: { "x-forwarded-for": client },
  });

for (const kind of STORES.slice(0, 1)) {
  describe(`faults: clients behind a reverse proxy (${kind})`, function () {
    this.timeout(60_000);

    it("counts failures per forwarded client when the peer is a trusted proxy", async () => {
      const server = await startTestServer(kind, { authFailureLimit: limit, trustedProxies: ["127.0.0.1"] });
      try {
        for (let i = 0; i < limit.max; i++) assert.equal((await guess(server, "203.0.113.7")).status, 401);
        assert.equal((await guess(server, "203.0.113.7")).status, 429);
        // Another client behind the same proxy is not cut off by the first one's failures.
        assert.equal((await guess(server, "203.0.113.8")).status, 401);
      } finally {
        await server.close();
      }
    });

    it("ignores X-Forwarded-For from a peer that is not a trusted proxy", async () => {
      const server = await startTestServer(kind, { authFailureLimit: limit });
      try {
        for (let i = 0; i < limit.max; i++)
          assert.equal((await guess(server, `198.51.100.${i}`)).status, 401);
        // A new forwarded address each time changes nothing: the peer's own address is counted.
        assert.equal((await guess(server, "198.51.100.99")).status, 429);
      } finally {
        await server.close();
      }
    });
  });
}
