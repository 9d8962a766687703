// The secrets key against the store: a key that cannot decrypt what the store sealed is refused at
// start, naming the key id the store needs; a rotation (new key, old one in
// TENANCY_SECRET_KEY_PREVIOUS) keeps secrets readable and idempotent replays replaying.
import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createDatabase } from "../../scripts/harness";
import { keyIdOf } from "../../server/service/crypto";
import { startServer, type RunningServer } from "../../server/server";
import { STORES } from "../api/server";

const token = `tny_keys-${randomBytes(12).toString("hex")}`;

for (const kind of STORES) {
  describe(`faults: the secrets key against the store (${kind})`, function () {
    this.timeout(60_000);
    let dataDir: string;
    let databaseUrl: string | undefined;
    const keyA = randomBytes(32);
    const keyB = randomBytes(32);

    before(async () => {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-keys-"));
      if (kind === "pglite")
        fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
      else databaseUrl = await createDatabase();
    });
    after(() => fs.rmSync(dataDir, { recursive: true, force: true }));

    const start = (env: Record<string, string>) =>
      startServer({
        store: kind === "pglite" ? { kind, dataDir } : { kind, url: databaseUrl! },
        port: 0,
        env: { TENANCY_BOOTSTRAP_TOKEN: token, ...env },
        logLevel: "silent",
      });
    const call = async (server: RunningServer, method: string, url: string, body?: unknown, key?: string) => {
      const response = await fetch(server.url + url, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
          ...(key ? { "idempotency-key": key } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: (await response.json()) as Record<string, unknown> };
    };

    it("refuses a key that cannot decrypt the store's secrets, and survives a rotation", async () => {
      const first = await start({ TENANCY_SECRET_KEY: keyA.toString("base64") });
      const projectBody = { name: "web" };
      try {
        await call(first, "POST", "/v1/domains", { name: "development", tier: "non-production" });
        const created = await call(first, "POST", "/v1/projects", projectBody, "create-web");
        assert.equal(created.status, 201);
        await call(first, "POST", "/v1/projects/web/environments", { domain: "development" });
        const secret = await call(first, "POST", "/v1/projects/web/environments/development/secrets", {
          name: "db",
          value: "before-rotation",
        });
        assert.equal(secret.status, 201, JSON.stringify(secret.body));
      } finally {
        await first.close();
      }

      await assert.rejects(start({ TENANCY_SECRET_KEY: keyB.toString("base64") }), (err: Error) =>
        err.message.includes(`sealed with key ${keyIdOf(keyA)}`),
      );

      const rotated = await start({
        TENANCY_SECRET_KEY: keyB.toString("base64"),
        TENANCY_SECRET_KEY_PREVIOUS: keyA.toString("base64"),
      });
      try {
        const revealed = await call(
          rotated,
          "POST",
          "/v1/projects/web/environments/development/secrets/db/reveal",
        );
        assert.equal(revealed.body.value, "before-rotation");
        const replayed = await call(rotated, "POST", "/v1/projects", projectBody, "create-web");
        assert.equal(replayed.status, 201, `a replay after the rotation: ${JSON.stringify(replayed.body)}`);
        assert.equal(replayed.body.name, "web");
      } finally {
        await rotated.close();
      }
    });
  });
}
