// Teams over every store: a team binding covers the members the store lists, read at each request;
// a team is managed either by its list or one membership at a time, never both by Pulumi resources.
import { strict as assert } from "node:assert";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const owner = (name: string, type = "TeamMember") => ({
  "tenancy-owner": `urn:pulumi:dev::org::pulumi-nodejs:dynamic/tenancy:${type}::${name}`,
  "tenancy-claim": `claim-${name}`,
});

for (const kind of STORES) {
  describe(`api teams (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let bobToken: string;

    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      // Bob's token carries no team: whatever the team gives him comes from the store.
      const issued = await server.request("POST", "/v1/tokens", {
        body: { name: "bob", subject: "user:bob" },
      });
      bobToken = issued.body.token;
      const binding = await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "team:platform", role: "developer" },
      });
      assert.equal(binding.status, 201);
    });
    after(async () => server.close());

    it("gives a team's role to its members from the next request, and takes it away the same way", async () => {
      const created = await server.request("POST", "/v1/teams", {
        body: { name: "platform", displayName: "Platform", members: ["user:ada"] },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.deepEqual(created.body.members, ["user:ada"]);
      assert.equal(created.body.membersAuthoritative, true);
      assertProblem(await server.request("GET", "/v1/projects/web", { token: bobToken }), 404, "not_found");

      const added = await server.request("PUT", "/v1/teams/platform/members/user:bob");
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.equal(added.body.managedBy, null);
      assert.equal((await server.request("GET", "/v1/projects/web", { token: bobToken })).status, 200);
      const changed = await server.request("PATCH", "/v1/projects/web", {
        token: bobToken,
        body: { description: "by a team member" },
        headers: { "if-match": "1" },
      });
      assert.equal(changed.status, 200, "developer through the team");

      const team = await server.request("GET", "/v1/teams/platform");
      assert.deepEqual(team.body.members, ["user:ada", "user:bob"]);
      assert.equal((await server.request("DELETE", "/v1/teams/platform/members/user:bob")).status, 204);
      assertProblem(await server.request("GET", "/v1/projects/web", { token: bobToken }), 404, "not_found");
    });

    it("replaces the member list with a PATCH and gives it up with null", async () => {
      const team = await server.request("GET", "/v1/teams/platform");
      const patched = await server.request("PATCH", "/v1/teams/platform", {
        body: { members: ["user:grace", "user:ada"] },
        headers: { "if-match": String(team.body.version) },
      });
      assert.equal(patched.status, 200, JSON.stringify(patched.body));
      assert.deepEqual(patched.body.members, ["user:ada", "user:grace"]);
      const released = await server.request("PATCH", "/v1/teams/platform", {
        body: { members: null },
        headers: { "if-match": String(patched.body.version) },
      });
      assert.deepEqual(released.body.members, ["user:ada", "user:grace"], "the members stay");
      assert.equal(released.body.membersAuthoritative, false);
      const audit = await server.request("GET", "/v1/audit?targetKind=Team&targetId=platform");
      assert.deepEqual(
        audit.body.map((e: { action: string }) => e.action),
        ["team.update", "team.update", "team.create"],
      );
    });

    it("refuses a TeamMember resource on a team whose list is declared, and a list over TeamMember resources", async () => {
      await server.request("POST", "/v1/teams", {
        body: { name: "listed", members: ["user:ada"] },
        headers: owner("listed", "Team"),
      });
      const refused = await server.request("PUT", "/v1/teams/listed/members/user:bob", {
        headers: owner("bob"),
      });
      assertProblem(refused, 409, "conflict");
      assert.match(refused.body.detail, /declares its members as one list.*keep TeamMember resources/);
      // By hand it is always possible: the declared list puts itself back at the next up.
      assert.equal((await server.request("PUT", "/v1/teams/listed/members/user:bob")).status, 200);

      await server.request("POST", "/v1/teams", {
        body: { name: "additive" },
        headers: owner("additive", "Team"),
      });
      const member = await server.request("PUT", "/v1/teams/additive/members/user:ada", {
        headers: owner("ada"),
      });
      assert.equal(member.status, 200);
      assert.match(member.body.managedBy.urn, /TeamMember::ada$/);
      const team = await server.request("GET", "/v1/teams/additive");
      const overridden = await server.request("PATCH", "/v1/teams/additive", {
        body: { members: ["user:grace"] },
        headers: { "if-match": String(team.body.version), ...owner("additive", "Team") },
      });
      assertProblem(overridden, 409, "conflict");
      assert.match(
        overridden.body.detail,
        /keep either the Team's members list or those TeamMember resources/,
      );
      assert.deepEqual((await server.request("GET", "/v1/teams/additive")).body.members, ["user:ada"]);
    });

    it("keeps memberships owned: another resource cannot take one, its own resource takes it back", async () => {
      await server.request("POST", "/v1/teams", { body: { name: "owned" } });
      assert.equal(
        (await server.request("PUT", "/v1/teams/owned/members/user:ada", { headers: owner("first") })).status,
        200,
      );
      assertProblem(
        await server.request("PUT", "/v1/teams/owned/members/user:ada", { headers: owner("second") }),
        409,
        "conflict",
      );
      const again = await server.request("PUT", "/v1/teams/owned/members/user:ada", {
        headers: { ...owner("first"), "tenancy-claim": "claim-retry" },
      });
      assert.equal(again.status, 200);
      // The old claim has moved on: its delete leaves the membership alone.
      const stale = await server.request("DELETE", "/v1/teams/owned/members/user:ada", {
        headers: owner("first"),
      });
      assertProblem(stale, 409, "conflict");
      assert.ok(stale.body.managedBy);
    });

    it("validates names and subjects with their field, and only org admins change teams", async () => {
      const bad = await server.request("POST", "/v1/teams", {
        body: { name: "Bad_Name", members: ["team:x", "user:a", "user:a"] },
      });
      assertProblem(bad, 400, "validation_failed");
      assert.deepEqual(bad.body.errors.map((e: { path: string }) => e.path).sort(), [
        "members.0",
        "members.2",
        "name",
      ]);
      assertProblem(
        await server.request("PUT", "/v1/teams/owned/members/team:nested"),
        400,
        "validation_failed",
      );
      assertProblem(
        await server.request("POST", "/v1/teams", { token: bobToken, body: { name: "mine" } }),
        403,
        "forbidden",
      );
      assert.equal(
        (await server.request("GET", "/v1/teams", { token: bobToken })).status,
        200,
        "any token reads teams",
      );
      assertProblem(await server.request("GET", "/v1/teams/none"), 404, "not_found");
    });

    it("deletes a team with its members; the binding stays for tokens that carry the team", async () => {
      const carrier = await server.request("POST", "/v1/tokens", {
        body: { name: "idp", subject: "user:zoe", teams: ["team:gone"] },
      });
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "team:gone", role: "viewer" },
      });
      const team = await server.request("POST", "/v1/teams", {
        body: { name: "gone", members: ["user:bob"] },
      });
      assert.equal((await server.request("GET", "/v1/projects/web", { token: bobToken })).status, 200);
      assert.equal(
        (
          await server.request("DELETE", "/v1/teams/gone", {
            headers: { "if-match": String(team.body.version) },
          })
        ).status,
        204,
      );
      assertProblem(await server.request("GET", "/v1/projects/web", { token: bobToken }), 404, "not_found");
      assert.equal(
        (await server.request("GET", "/v1/projects/web", { token: carrier.body.token })).status,
        200,
      );
    });
  });
}
