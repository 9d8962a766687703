// Approvals over every store: writes to a guarded environment by non-approvers wait as change
// requests and are applied by the approval that completes them (or turn stale); role bindings
// expire at their instant; access requests become expiring bindings.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

for (const kind of STORES) {
  describe(`api approvals (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let offset = 0;
    const tokens: Record<string, string> = {};
    const as = (who: string) => ({ token: tokens[who]! });

    before(async () => {
      server = await startTestServer(kind, { clock: { now: () => new Date(Date.now() + offset) } });
      await seed(server);
      for (const [name, teams] of [
        ["dev", []],
        ["alice", []],
        ["bob", []],
        ["carol", ["team:leads"]],
        ["vic", []],
        ["outsider", []],
        ["pa", []],
        ["temp", []],
      ] as const) {
        const issued = await server.request("POST", "/v1/tokens", {
          body: { name, subject: `user:${name}`, teams },
        });
        assert.equal(issued.status, 201, JSON.stringify(issued.body));
        tokens[name] = issued.body.token;
      }
      for (const [subject, role, environment] of [
        ["user:dev", "developer", undefined],
        ["user:alice", "developer", undefined],
        ["user:bob", "viewer", undefined],
        ["user:carol", "viewer", undefined],
        ["user:vic", "viewer", "development"],
        ["user:pa", "admin", undefined],
      ] as const) {
        const bound = await server.request("POST", "/v1/projects/web/role-bindings", {
          body: { subject, role, ...(environment ? { environment } : {}) },
        });
        assert.equal(bound.status, 201, JSON.stringify(bound.body));
      }
      // Bob approves through a team the store lists him in; carol through the team her token carries.
      assert.equal(
        (await server.request("POST", "/v1/teams", { body: { name: "leads", members: ["user:bob"] } }))
          .status,
        201,
      );
      const env = await server.request("GET", "/v1/projects/web/environments/production");
      const guarded = await server.request("PATCH", "/v1/projects/web/environments/production", {
        body: { approval: { approvers: ["user:alice", "team:leads"] } },
        headers: { "if-match": String(env.body.version) },
      });
      assert.equal(guarded.status, 200, JSON.stringify(guarded.body));
      assert.deepEqual(guarded.body.approval, { approvers: ["user:alice", "team:leads"], required: 1 });
    });
    after(async () => server.close());

    it("turns a developer's change into a request, opens no duplicate, and applies it on approval", async () => {
      const body = { requests: { cpu: "250m", memory: "256Mi" } };
      const url = "/v1/projects/web/environments/production/defaults";
      const dry = await server.request("PUT", `${url}?dryRun=true`, { ...as("dev"), body });
      assert.equal(dry.status, 202, JSON.stringify(dry.body));
      assert.equal(dry.body.id, "", "a dry run opens no request");
      const asked = await server.request("PUT", url, { ...as("dev"), body });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.match(asked.body.id, /^cr_/);
      assert.equal(asked.body.status, "pending");
      assert.equal(asked.body.author, "user:dev");
      assert.equal(asked.body.baseVersion, null);
      assert.deepEqual(asked.body.approvers, ["user:alice", "team:leads"]);
      assert.deepEqual(
        asked.body.diff.find((c: { field: string }) => c.field === "requests"),
        { field: "requests", after: { cpu: "250m", memory: "256Mi" } },
      );
      assertProblem(await server.request("GET", url), 404, "not_found");
      const again = await server.request("PUT", url, { ...as("dev"), body });
      assert.equal(again.status, 202);
      assert.equal(again.body.id, asked.body.id, "the pending request, not a second one");
      const dryAgain = await server.request("PUT", `${url}?dryRun=true`, { ...as("dev"), body });
      assert.equal(dryAgain.body.id, asked.body.id, "a dry run names the pending request");

      const approved = await server.request("POST", `/v1/change-requests/${asked.body.id}/approve`, {
        ...as("bob"),
        body: { comment: "fine" },
      });
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, "applied");
      assert.deepEqual(
        approved.body.approvals.map((a: { approver: string; comment?: string }) => [a.approver, a.comment]),
        [["user:bob", "fine"]],
      );
      const applied = await server.request("GET", url);
      assert.equal(applied.status, 200);
      assert.deepEqual(applied.body.requests, { cpu: "250m", memory: "256Mi" });
      const audit = await server.request(
        "GET",
        `/v1/audit?action=change-request.apply&targetId=${asked.body.id}`,
      );
      assert.equal(audit.body.length, 1);
      assert.equal(audit.body[0].after.author, "user:dev");
      assert.deepEqual(audit.body[0].after.approvers, ["user:bob"]);
      const write = await server.request("GET", "/v1/audit?action=defaults.create");
      assert.ok(
        write.body.some((e: { actor: string }) => e.actor === "dev"),
        "the write itself is audited as its author's",
      );
      // The same write again converges: nothing to approve.
      const converged = await server.request("PUT", url, {
        ...as("dev"),
        body,
        headers: { "if-match": String(applied.body.version) },
      });
      assert.equal(converged.status, 200, JSON.stringify(converged.body));
    });

    it("seals a secret value in its request: shown only as (changed), applied as sent", async () => {
      const url = "/v1/projects/web/environments/production/secrets";
      const asked = await server.request("POST", url, {
        ...as("dev"),
        body: { name: "db-password", value: "s3cret-value-42" },
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.ok(!JSON.stringify(asked.body).includes("s3cret-value-42"));
      assert.deepEqual(
        asked.body.diff.find((c: { field: string }) => c.field === "value"),
        { field: "value", after: "(changed)" },
      );
      const shown = await server.request("GET", `/v1/change-requests/${asked.body.id}`, as("alice"));
      assert.ok(!JSON.stringify(shown.body).includes("s3cret-value-42"));
      const audit = await server.request("GET", "/v1/audit?limit=1000");
      assert.ok(!JSON.stringify(audit.body).includes("s3cret-value-42"));
      assert.ok(!server.logs().includes("s3cret-value-42"));

      const approved = await server.request(
        "POST",
        `/v1/change-requests/${asked.body.id}/approve`,
        as("carol"),
      );
      assert.equal(approved.body.status, "applied", JSON.stringify(approved.body));
      const revealed = await server.request("POST", `${url}/db-password/reveal`, as("dev"));
      assert.equal(revealed.body.value, "s3cret-value-42");
    });

    it("turns stale, applying nothing, when the target changed after the request", async () => {
      const url = "/v1/projects/web/environments/production";
      const env = await server.request("GET", url);
      const asked = await server.request("PATCH", url, {
        ...as("dev"),
        body: { description: "from dev" },
        headers: { "if-match": String(env.body.version) },
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      assert.equal(asked.body.baseVersion, env.body.version);
      // An approver's own write applies at once.
      const direct = await server.request("PATCH", url, {
        ...as("alice"),
        body: { description: "from alice" },
        headers: { "if-match": String(env.body.version) },
      });
      assert.equal(direct.status, 200, JSON.stringify(direct.body));
      const approved = await server.request(
        "POST",
        `/v1/change-requests/${asked.body.id}/approve`,
        as("bob"),
      );
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, "stale");
      assert.equal((await server.request("GET", url)).body.description, "from alice");
      assertProblem(
        await server.request("POST", `/v1/change-requests/${asked.body.id}/approve`, as("alice")),
        409,
        "conflict",
      );
    });

    it("applies a request once when its approvers approve at the same time", async () => {
      const url = "/v1/projects/web/environments/production";
      const env = await server.request("GET", url);
      const asked = await server.request("PATCH", url, {
        ...as("dev"),
        body: { labels: { team: "storefront" } },
        headers: { "if-match": String(env.body.version) },
      });
      assert.equal(asked.status, 202, JSON.stringify(asked.body));
      const answers = await Promise.all(
        ["alice", "bob", "carol"].map((who) =>
          server.request("POST", `/v1/change-requests/${asked.body.id}/approve`, as(who)),
        ),
      );
      for (const answer of answers) {
        assert.ok([200, 409].includes(answer.status), JSON.stringify(answer.body));
        if (answer.status === 200) assert.equal(answer.body.status, "applied");
      }
      const after = await server.request("GET", url);
      assert.equal(after.body.version, env.body.version + 1, "applied exactly once");
      assert.deepEqual(after.body.labels, { team: "storefront" });
      const audit = await server.request(
        "GET",
        `/v1/audit?action=change-request.apply&targetId=${asked.body.id}`,
      );
      assert.equal(audit.body.length, 1);
    });

    it("refuses self-approval, approval by a non-approver, and a cancel by anyone but the author", async () => {
      const url = "/v1/projects/web/environments/production/quota";
      const asked = await server.request("PUT", url, { ...as("dev"), body: { cpu: "2" } });
      // A quota is admin business: the developer may not make this write at all.
      assertProblem(asked, 403, "forbidden");

      const secret = await server.request("POST", "/v1/projects/web/environments/production/secrets", {
        ...as("dev"),
        body: { name: "api-key", reference: "vault://web/api-key" },
      });
      assert.equal(secret.status, 202, JSON.stringify(secret.body));
      const id = secret.body.id;
      assertProblem(
        await server.request("POST", `/v1/change-requests/${id}/approve`, as("dev")),
        403,
        "forbidden",
      );
      assertProblem(
        await server.request("POST", `/v1/change-requests/${id}/approve`, as("pa")),
        403,
        "forbidden",
      );
      // Made an approver afterwards, the author still may not approve their own request.
      const env = await server.request("GET", "/v1/projects/web/environments/production");
      await server.request("PATCH", "/v1/projects/web/environments/production", {
        body: { approval: { approvers: ["user:alice", "team:leads", "user:dev"] } },
        headers: { "if-match": String(env.body.version) },
      });
      assertProblem(
        await server.request("POST", `/v1/change-requests/${id}/approve`, as("dev")),
        403,
        "forbidden",
      );
      const restored = await server.request("GET", "/v1/projects/web/environments/production");
      await server.request("PATCH", "/v1/projects/web/environments/production", {
        body: { approval: { approvers: ["user:alice", "team:leads"] } },
        headers: { "if-match": String(restored.body.version) },
      });
      assertProblem(
        await server.request("DELETE", `/v1/change-requests/${id}`, as("alice")),
        403,
        "forbidden",
      );
      const cancelled = await server.request("DELETE", `/v1/change-requests/${id}`, as("dev"));
      assert.equal(cancelled.body.status, "cancelled");
      const rejected = await server.request("POST", "/v1/projects/web/environments/production/secrets", {
        ...as("dev"),
        body: { name: "api-key", reference: "vault://web/api-key-2" },
      });
      const no = await server.request("POST", `/v1/change-requests/${rejected.body.id}/reject`, {
        ...as("alice"),
        body: { comment: "not this one" },
      });
      assert.equal(no.body.status, "rejected");
      assertProblem(
        await server.request("GET", "/v1/projects/web/environments/production/secrets/api-key"),
        404,
        "not_found",
      );
    });

    it("hides requests from callers who cannot read their environment", async () => {
      const listed = await server.request("GET", "/v1/change-requests?project=web", as("dev"));
      assert.ok(listed.body.length >= 4);
      const id = listed.body[0].id;
      assertProblem(
        await server.request("GET", `/v1/change-requests/${id}`, as("outsider")),
        404,
        "not_found",
      );
      assertProblem(await server.request("GET", `/v1/change-requests/${id}`, as("vic")), 404, "not_found");
      assert.deepEqual((await server.request("GET", "/v1/change-requests", as("outsider"))).body, []);
      assert.deepEqual((await server.request("GET", "/v1/change-requests", as("vic"))).body, []);
      assertProblem(
        await server.request("POST", `/v1/change-requests/${id}/approve`, as("outsider")),
        404,
        "not_found",
      );
      const pending = await server.request("GET", "/v1/change-requests?status=applied", as("alice"));
      assert.ok(pending.body.every((r: { status: string }) => r.status === "applied"));
    });

    it("stops an expired binding from granting at its instant, and lists it only when asked", async () => {
      const expiresAt = new Date(Date.now() + offset + 60_000).toISOString();
      const bound = await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:temp", role: "viewer", expiresAt },
      });
      assert.equal(bound.status, 201, JSON.stringify(bound.body));
      assert.equal(bound.body.expiresAt, expiresAt);
      assert.equal((await server.request("GET", "/v1/projects/web", as("temp"))).status, 200);
      offset += 59_000;
      assert.equal((await server.request("GET", "/v1/projects/web", as("temp"))).status, 200);
      offset += 1_000;
      assertProblem(await server.request("GET", "/v1/projects/web", as("temp")), 404, "not_found");
      const listed = await server.request("GET", "/v1/projects/web/role-bindings?subject=user:temp");
      assert.deepEqual(listed.body, []);
      const all = await server.request(
        "GET",
        "/v1/projects/web/role-bindings?subject=user:temp&expired=true",
      );
      assert.equal(all.body.length, 1);
      assertProblem(
        await server.request("POST", "/v1/projects/web/role-bindings", {
          body: {
            subject: "user:temp",
            role: "developer",
            expiresAt: new Date(Date.now() - 1000).toISOString(),
          },
        }),
        400,
        "validation_failed",
      );
    });

    it("grants an approved access request for its duration, and no longer than the maximum", async () => {
      const tooLong = await server.request("POST", "/v1/access-requests", {
        ...as("temp"),
        body: {
          project: "web",
          environment: "production",
          role: "developer",
          duration: "9h",
          reason: "incident",
        },
      });
      assertProblem(tooLong, 400, "validation_failed");
      assert.equal(tooLong.body.errors[0].path, "duration");
      const asked = await server.request("POST", "/v1/access-requests", {
        ...as("temp"),
        body: {
          project: "web",
          environment: "production",
          role: "developer",
          duration: "2h",
          reason: "incident 7",
        },
      });
      assert.equal(asked.status, 201, JSON.stringify(asked.body));
      assert.match(asked.body.id, /^ar_/);
      assertProblem(
        await server.request("POST", `/v1/access-requests/${asked.body.id}/approve`, as("temp")),
        403,
        "forbidden",
      );
      assertProblem(
        await server.request("POST", `/v1/access-requests/${asked.body.id}/approve`, as("dev")),
        404,
        "not_found",
      );
      const approved = await server.request("POST", `/v1/access-requests/${asked.body.id}/approve`, as("pa"));
      assert.equal(approved.status, 200, JSON.stringify(approved.body));
      assert.equal(approved.body.status, "approved");
      const granted = Date.parse(approved.body.bindingExpiresAt) - (Date.now() + offset);
      assert.ok(granted > 2 * 3_600_000 - 60_000 && granted <= 2 * 3_600_000, String(granted));
      const binding = await server.request(
        "GET",
        `/v1/projects/web/role-bindings/${approved.body.bindingId}`,
      );
      assert.equal(binding.body.managedBy.urn, `access-request:${asked.body.id}`);
      const seen = await server.request("GET", "/v1/projects/web/environments/production", as("temp"));
      assert.equal(seen.status, 200);
      offset += 2 * 3_600_000;
      assertProblem(
        await server.request("GET", "/v1/projects/web/environments/production", as("temp")),
        404,
        "not_found",
      );
      // An approver of the environment decides too; a new grant renews the expired binding.
      const again = await server.request("POST", "/v1/access-requests", {
        ...as("temp"),
        body: {
          project: "web",
          environment: "production",
          role: "developer",
          duration: "30m",
          reason: "again",
        },
      });
      const byApprover = await server.request(
        "POST",
        `/v1/access-requests/${again.body.id}/approve`,
        as("alice"),
      );
      assert.equal(byApprover.body.status, "approved", JSON.stringify(byApprover.body));
      assert.equal(byApprover.body.bindingId, approved.body.bindingId);
      assert.equal(
        (await server.request("GET", "/v1/projects/web/environments/production", as("temp"))).status,
        200,
      );
    });
  });
}
