// A quota's PUT is judged and written inside the database (tenancy_put_quota, migration 0009): the
// defaults that reach the environment, merged as the model merges them; the audit entry, built in
// SQL as the API shows a quota; the ceilings above, summed after their locks are granted.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import pg from "pg";
import { environmentId, parseQuantity, resourceKinds, type EffectiveDefaults } from "../../model";
import { mergeDefaults } from "../../server/service/defaults-merge";
import { lockWaiters } from "./lock-waits";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const amounts = ["100m", "1", "1500m", "2", "3", "2500m"];
const someAmounts = fc.dictionary(fc.constantFrom(...resourceKinds), fc.constantFrom(...amounts), {
  maxKeys: 2,
});
const defaultsOfOneScope = fc.record({ requests: someAmounts, limits: someAmounts });
const quotaLimits = fc.dictionary(fc.constantFrom(...resourceKinds), fc.constantFrom(...amounts), {
  maxKeys: 4,
});

/** The rule as the model states it, the oracle the database's judgment is checked against: the
 * message the API must answer when a default asks one workload for more than the quota, or none. */
function modelRefusal(
  defaults: EffectiveDefaults,
  quota: Partial<Record<(typeof resourceKinds)[number], string>>,
  project: string,
  environment: string,
): string | undefined {
  const errors: string[] = [];
  for (const part of ["requests", "limits"] as const) {
    for (const kind of resourceKinds) {
      const field = defaults[part][kind];
      const limit = quota[kind];
      if (field && limit !== undefined && parseQuantity(field.value) > parseQuantity(limit)) {
        errors.push(
          `${part}.${kind} ${field.value} (set by ${field.source}) is above the quota's ${kind} of ${limit}`,
        );
      }
    }
  }
  if (errors.length === 0) return undefined;
  return `defaults for environment ${environmentId(project, environment)} exceed its quota: ${errors.join("; ")}`;
}

for (const kind of STORES) {
  describe(`api quota writes in the database (${kind})`, function () {
    this.timeout(300_000);
    let server: TestServer;
    const quotaUrl = "/v1/projects/prop/environments/qa/quota";
    const scopes = [
      { url: "/v1/domains/qa/defaults", row: { domain: "qa", project: null, environment: null } },
      { url: "/v1/projects/prop/defaults", row: { domain: null, project: "prop", environment: null } },
      {
        url: "/v1/projects/prop/environments/qa/defaults",
        row: { domain: null, project: "prop", environment: "qa" },
      },
    ];
    const versionOf = async (url: string) => {
      const current = await server.request("GET", url);
      return current.status === 200 ? String(current.body.version) : undefined;
    };
    const put = async (url: string, body: unknown) => {
      const version = await versionOf(url);
      return server.request("PUT", url, {
        body,
        headers: version === undefined ? {} : { "if-match": version },
      });
    };

    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      for (const [url, body] of [
        ["/v1/domains", { name: "qa", tier: "non-production", order: 40 }],
        ["/v1/projects", { name: "prop" }],
        ["/v1/projects/prop/environments", { domain: "qa" }],
      ] as const) {
        const created = await server.request("POST", url, { body });
        assert.equal(created.status, 201, JSON.stringify(created.body));
      }
    });
    after(async () => server.close());

    it("refuses a quota below the defaults that reach it exactly when the model's merge does", async () => {
      const outcomes = { written: 0, refused: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.tuple(defaultsOfOneScope, defaultsOfOneScope, defaultsOfOneScope),
          quotaLimits,
          async (perScope, limits) => {
            // A quota without limits holds any defaults: set them under it, then the quota judged.
            assert.equal((await put(quotaUrl, {})).status, 200);
            for (const [i, scope] of scopes.entries()) {
              const written = await put(scope.url, perScope[i]);
              assert.equal(written.status, 200, JSON.stringify(written.body));
            }
            const merged: EffectiveDefaults = mergeDefaults(
              scopes.map((scope, i) => ({ ...scope.row, ...perScope[i]! })),
            );
            const expected = modelRefusal(merged, limits, "prop", "qa");
            const answer = await put(quotaUrl, limits);
            outcomes[expected === undefined ? "written" : "refused"]++;
            if (expected === undefined) {
              assert.equal(answer.status, 200, JSON.stringify(answer.body));
              for (const k of resourceKinds) assert.equal(answer.body[k] !== undefined, k in limits);
            } else {
              assertProblem(answer, 400, "validation_failed");
              assert.equal(answer.body.detail, expected);
            }
          },
        ),
        { numRuns: 60 },
      );
      // Both sides of the rule were judged.
      assert.ok(outcomes.written > 5 && outcomes.refused > 5, JSON.stringify(outcomes));
    });

    it("names the default and the scope that set it when a quota is lowered below it", async () => {
      assert.equal((await put(quotaUrl, {})).status, 200);
      for (const scope of scopes) assert.equal((await put(scope.url, {})).status, 200);
      assert.equal((await put(scopes[0]!.url, { limits: { cpu: "2" } })).status, 200);
      assert.equal((await put(scopes[2]!.url, { limits: { cpu: "1500m" } })).status, 200);
      const refused = await put(quotaUrl, { cpu: "1" });
      assertProblem(refused, 400, "validation_failed");
      assert.match(
        refused.body.detail,
        /limits\.cpu 1500m \(set by project:prop\/environment:qa\) is above the quota's cpu of 1/,
      );
      assert.equal((await put(quotaUrl, { cpu: "1500m" })).status, 200);
    });

    it("refuses deleting defaults that would leave a weaker scope's default above the quota", async () => {
      assert.equal((await put(quotaUrl, {})).status, 200);
      for (const scope of scopes) assert.equal((await put(scope.url, {})).status, 200);
      // The environment's default covers the project's larger one, which its quota would not hold.
      assert.equal((await put(scopes[2]!.url, { requests: { memory: "1" } })).status, 200);
      assert.equal((await put(scopes[1]!.url, { requests: { memory: "3" } })).status, 200);
      assert.equal((await put(quotaUrl, { memory: "2" })).status, 200);
      const refused = await server.request("DELETE", scopes[2]!.url, {
        headers: { "if-match": (await versionOf(scopes[2]!.url))! },
      });
      assertProblem(refused, 400, "validation_failed");
      assert.match(
        refused.body.detail,
        /requests\.memory 3 \(set by project:prop\) is above the quota's memory of 2/,
      );
      assert.equal((await server.request("GET", scopes[2]!.url)).status, 200);
    });

    it("audits a quota's creation and update as the API answered them, ownership included", async () => {
      const url = "/v1/projects/web/environments/development/quota";
      const owner = "urn:pulumi:org-stack::org::tenancy:index:Quota::dev";
      const created = await server.request("PUT", url, {
        body: { cpu: "2", maxConcurrentExecutions: 3 },
        headers: { "tenancy-owner": owner, "tenancy-claim": "claim-1", "tenancy-deleted-with": owner },
      });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      assert.equal(created.body.managedBy.urn, owner);
      const adopted = await server.request("PUT", url, {
        body: { memory: "1Gi" },
        headers: {
          "if-match": String(created.body.version),
          "tenancy-owner": "urn:pulumi:other::org::tenancy:index:Quota::dev",
          "tenancy-claim": "claim-2",
          "tenancy-adopt": "true",
        },
      });
      assert.equal(adopted.status, 200, JSON.stringify(adopted.body));
      const byHand = await server.request("PUT", url, {
        body: { memory: "2Gi" },
        headers: { "if-match": String(adopted.body.version) },
      });
      assert.equal(byHand.status, 200, JSON.stringify(byHand.body));
      // By hand, the manager stays as it was.
      assert.deepEqual(byHand.body.managedBy, adopted.body.managedBy);
      const log = await server.request("GET", "/v1/audit?targetKind=Quota&targetId=web/development");
      const entries = log.body as { action: string; before: unknown; after: unknown }[];
      const ours = entries.reverse();
      assert.deepEqual(
        ours.map((e) => [e.action, e.before, e.after]),
        [
          ["quota.create", undefined, created.body],
          ["quota.update", created.body, adopted.body],
          ["quota.update", adopted.body, byHand.body],
        ],
      );
    });

    it("refuses a replacement whose claim has moved on or that names another version, writing nothing", async () => {
      const url = "/v1/projects/web/environments/development/quota";
      const current = await server.request("GET", url);
      const stale = await server.request("PUT", url, {
        body: { cpu: "9" },
        headers: { "if-match": String(current.body.version - 1) },
      });
      assertProblem(stale, 412, "version_mismatch");
      const missing = await server.request("PUT", url, { body: { cpu: "9" } });
      assertProblem(missing, 400, "validation_failed");
      assert.equal(missing.body.errors[0].path, "If-Match");
      const claimed = await server.request("PUT", url, {
        body: { cpu: "9" },
        headers: {
          "if-match": String(current.body.version),
          "tenancy-owner": "urn:pulumi:org-stack::org::tenancy:index:Quota::dev",
          "tenancy-claim": "claim-1",
        },
      });
      assertProblem(claimed, 409, "conflict");
      assert.deepEqual((await server.request("GET", url)).body, current.body);
    });

    it("never lets a quota and the defaults written at once leave a default above the quota", async function () {
      // Each write judges the other's object: a quota the defaults that reach it, defaults every
      // quota they reach. Held at their audit entries (the last write of each) until both have
      // judged, neither may have judged the other's old row. PGlite runs one transaction at a time.
      if (!server.databaseUrl) this.skip();
      const project = "/v1/projects/skew";
      assert.equal((await server.request("POST", "/v1/projects", { body: { name: "skew" } })).status, 201);
      const envUrl = `${project}/environments/dev`;
      assert.equal(
        (
          await server.request("POST", `${project}/environments`, {
            body: { name: "dev", domain: "development" },
          })
        ).status,
        201,
      );
      assert.equal((await put(`${envUrl}/quota`, { cpu: "8" })).status, 200);
      const holder = new pg.Client({ connectionString: server.databaseUrl });
      await holder.connect();
      try {
        const [defaultsVersion, quotaVersion] = [
          await versionOf(`${project}/defaults`),
          await versionOf(`${envUrl}/quota`),
        ];
        await holder.query("begin");
        await holder.query("lock table audit in share row exclusive mode");
        const defaults = server.request("PUT", `${project}/defaults`, {
          body: { limits: { cpu: "2" } },
          headers: defaultsVersion === undefined ? {} : { "if-match": defaultsVersion },
        });
        await lockWaiters(holder, 1);
        const quota = server.request("PUT", `${envUrl}/quota`, {
          body: { cpu: "1" },
          headers: { "if-match": quotaVersion! },
        });
        await lockWaiters(holder, 2);
        await holder.query("commit");
        const answers = await Promise.all([defaults, quota]);
        for (const answer of answers)
          assert.ok([200, 400].includes(answer.status), JSON.stringify(answer.body));
        assert.deepEqual(
          answers.map((a) => a.status).sort(),
          [200, 400],
          `one of the two must refuse: ${JSON.stringify(answers.map((a) => a.body))}`,
        );
      } finally {
        await holder.end();
      }
    });

    it("never lets concurrent quotas below a ceiling add up to more than it", async () => {
      // Each write sums the quotas below after the ceiling's lock is granted, so it sees every
      // write that held the lock before it; a sum read earlier lets stale writes through.
      for (let round = 0; round < 6; round++) {
        const project = `/v1/projects/ceiled-${round}`;
        assert.equal(
          (await server.request("POST", "/v1/projects", { body: { name: `ceiled-${round}` } })).status,
          201,
        );
        assert.equal((await server.request("PUT", `${project}/quota`, { body: { cpu: "10" } })).status, 200);
        const names = Array.from({ length: 8 }, (_, i) => `e${i}`);
        for (const name of names) {
          const created = await server.request("POST", `${project}/environments`, {
            body: { name, domain: "development" },
          });
          assert.equal(created.status, 201, JSON.stringify(created.body));
        }
        const answers = await Promise.all(
          names.map((name) =>
            server.request("PUT", `${project}/environments/${name}/quota`, { body: { cpu: "3" } }),
          ),
        );
        for (const refused of answers.filter((a) => a.status !== 200)) {
          assertProblem(refused, 409, "quota_exceeded");
          assert.match(
            refused.body.detail,
            /the ceiling project:ceiled-\d does not hold \(cpu: the quotas below add up to/,
          );
        }
        assert.equal(answers.filter((a) => a.status === 200).length, 3);
        assert.equal((await server.request("GET", `${project}/quota`)).body.allocated.cpu, "9");
      }
    });
  });
}
