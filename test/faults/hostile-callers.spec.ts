// Unauthenticated load is cheap to refuse: failed authentications are counted per address and cut
// off before any token lookup, bodies are read only after authentication, and slow clients hold
// only their own sockets until the request timeout answers 408.
import { strict as assert } from "node:assert";
import * as net from "node:net";
import { STORES, adminToken, startTestServer, type TestServer } from "../api/server";

/** Sends raw bytes on a new connection; resolves with everything the server answered. */
function rawExchange(port: number, chunks: string[], gapMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.on("data", (data) => (answer += data.toString()));
    socket.on("error", reject);
    socket.on("close", () => resolve(answer));
    let i = 0;
    const next = () => {
      if (socket.destroyed || i >= chunks.length) return;
      socket.write(chunks[i++]!);
      setTimeout(next, gapMs);
    };
    socket.on("connect", next);
  });
}

for (const kind of STORES.slice(0, 1)) {
  describe(`faults: hostile callers (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let lookups = 0;
    before(async () => {
      server = await startTestServer(kind, {
        authFailureLimit: { max: 20, windowMs: 60_000 },
        requestTimeoutMs: 2_000,
      });
      // Count the token lookups the real service makes.
      const service = server.running.service;
      const authenticate = service.authenticate;
      service.authenticate = (hash, project) => {
        lookups++;
        return authenticate(hash, project);
      };
    });
    after(async () => server.close());

    it("reads no body before authenticating: a bad token gets 401, not a parse error", async () => {
      const response = await fetch(`${server.url}/v1/projects`, {
        method: "POST",
        headers: { authorization: "Bearer not-a-token", "content-type": "application/json" },
        body: "{" + " ".repeat(200 * 1024), // not even JSON
      });
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { code: string }).code, "unauthorized");
    });

    it("cuts off 1,000 bad tokens from one address after the limit, without a lookup each", async () => {
      const before = lookups;
      const statuses = new Map<number, number>();
      let retryAfter: string | null = null;
      for (let i = 0; i < 1000; i++) {
        const response = await fetch(`${server.url}/v1/projects`, {
          headers: { authorization: `Bearer guess-${i}-${Math.random()}` },
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 429) retryAfter = response.headers.get("retry-after");
        await response.arrayBuffer();
      }
      const made = lookups - before;
      assert.ok(made <= 20, `${made} token lookups for 1,000 bad tokens`);
      assert.ok((statuses.get(429) ?? 0) >= 980, JSON.stringify([...statuses]));
      assert.ok(Number(retryAfter) >= 1, `Retry-After ${retryAfter}`);
      // The address is refused as a whole, valid token or not, until its window ends.
      const valid = await fetch(`${server.url}/v1/projects`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      assert.equal(valid.status, 429);
    });

    it("answers 408 to a body that never finishes, while 200 slow connections hold nothing back", async function () {
      const port = Number(new URL(server.url).port);
      // 200 clients that send half their headers and stall.
      const stalled = Array.from({ length: 200 }, () =>
        rawExchange(port, ["GET /healthz HTTP/1.1\r\nHost: x\r\n", "X-Slow: 1\r\n"], 60_000).catch(
          (err: Error) => err.message,
        ),
      );
      const started = Date.now();
      for (let i = 0; i < 20; i++) {
        const response = await fetch(`${server.url}/healthz`);
        assert.equal(response.status, 200);
      }
      assert.ok(
        Date.now() - started < 2_000,
        `20 requests took ${Date.now() - started} ms beside the stalled ones`,
      );
      // A body that trickles: headers complete, one byte every 500 ms, far fewer than announced.
      const slowBody = await rawExchange(
        port,
        [
          "POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n",
          ...Array.from({ length: 20 }, () => " "),
        ],
        500,
      );
      assert.match(slowBody, /^HTTP\/1\.1 408/);
      const answers = await Promise.all(stalled);
      assert.ok(
        answers.every((answer) => answer === "" || /^HTTP\/1\.1 408/.test(answer)),
        "stalled connections are closed by the timeout",
      );
    });
  });
}
