// The directory (SCIM 2.0) over every store, driven by the request sequences Okta's and Microsoft
// Entra ID's provisioning clients send: users and groups become subjects and directory-kept teams,
// a role bound to the team reaches its members at once, and deprovisioning ends a user's access in
// the transaction that records it.
import { strict as assert } from "node:assert";
import fc from "fast-check";
import { assertProblem, seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

const scimJson = { "content-type": "application/scim+json" };
const userSchema = "urn:ietf:params:scim:schemas:core:2.0:User";
const groupSchema = "urn:ietf:params:scim:schemas:core:2.0:Group";
const patchSchema = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

function assertScimError(
  response: { status: number; headers: Headers; body: any },
  status: number,
  scimType?: string,
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get("content-type") ?? "", /^application\/scim\+json/);
  assert.deepEqual(response.body.schemas, ["urn:ietf:params:scim:api:messages:2.0:Error"]);
  assert.equal(response.body.status, String(status));
  assert.equal(response.body.scimType, scimType);
  assert.equal(typeof response.body.detail, "string");
}

for (const kind of STORES) {
  describe(`api directory, SCIM 2.0 (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let scim: string;

    /** A request of the identity provider, with its directory token. */
    const idp = (method: string, url: string, body?: unknown) =>
      server.request(method, `/scim/v2${url}`, {
        token: scim,
        headers: scimJson,
        ...(body !== undefined ? { body } : {}),
      });
    const issue = async (subject: string) => {
      const issued = await server.request("POST", "/v1/tokens", { body: { name: subject, subject } });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      return issued.body.token as string;
    };
    const readsWeb = async (token: string) =>
      (await server.request("GET", "/v1/projects/web/environments/production", { token })).status;

    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      const issued = await server.request("POST", "/v1/tokens", {
        body: { name: "okta", subject: "service:okta", scim: true },
      });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      assert.equal(issued.body.scim, true);
      scim = issued.body.token;
    });
    after(async () => server.close());

    it("replays Okta: users and a group become a directory team whose role reaches its members at once", async () => {
      const none = await idp(
        "GET",
        `/Users?filter=${encodeURIComponent('userName eq "ada@example.com"')}&startIndex=1&count=100`,
      );
      assert.equal(none.status, 200, JSON.stringify(none.body));
      assert.equal(none.body.totalResults, 0);
      const created = await idp("POST", "/Users", {
        schemas: [userSchema],
        userName: "ada@example.com",
        name: { givenName: "Ada", familyName: "Lovelace" },
        emails: [{ primary: true, value: "ada@example.com", type: "work" }],
        displayName: "Ada Lovelace",
        externalId: "00u1ada",
        groups: [],
        active: true,
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      assert.match(created.headers.get("content-type") ?? "", /^application\/scim\+json/);
      const ada = created.body;
      assert.equal(created.headers.get("location"), ada.meta.location);
      assert.match(ada.meta.location, new RegExp(`/scim/v2/Users/${ada.id}$`));
      assert.deepEqual(ada.name, { givenName: "Ada", familyName: "Lovelace" });
      assert.equal(ada.active, true);
      // Okta looks users up by userName whatever its case.
      const found = await idp("GET", `/Users?filter=${encodeURIComponent('userName eq "ADA@example.com"')}`);
      assert.deepEqual(
        found.body.Resources.map((u: { id: string }) => u.id),
        [ada.id],
      );
      const replaced = await idp("PUT", `/Users/${ada.id}`, {
        ...ada,
        name: { givenName: "Ada", familyName: "King" },
      });
      assert.equal(replaced.status, 200, JSON.stringify(replaced.body));
      assert.equal(replaced.body.name.familyName, "King");
      assert.equal(replaced.body.meta.version, 'W/"2"');

      const group = await idp("POST", "/Groups", {
        schemas: [groupSchema],
        displayName: "Platform Leads",
        members: [],
      });
      assert.equal(group.status, 201, JSON.stringify(group.body));
      const team = await server.request("GET", "/v1/teams/platform-leads");
      assert.equal(team.status, 200, JSON.stringify(team.body));
      assert.equal(team.body.managedBy.stack, "scim");
      assert.deepEqual(team.body.members, []);

      // The code binds a role to the team; the directory puts Ada in it; her token reads at once.
      const bound = await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "team:platform-leads", role: "viewer" },
      });
      assert.equal(bound.status, 201, JSON.stringify(bound.body));
      const adaToken = await issue("user:ada@example.com");
      assert.equal(await readsWeb(adaToken), 404, "no binding covers her yet");
      const added = await idp("PATCH", `/Groups/${group.body.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "add", path: "members", value: [{ value: ada.id, display: "ada@example.com" }] }],
      });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.deepEqual(added.body.members, [{ value: ada.id, display: "ada@example.com" }]);
      assert.equal(await readsWeb(adaToken), 200);

      // Renamed, the group keeps its team: the binding the code declares keeps granting.
      const renamed = await idp("PATCH", `/Groups/${group.body.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "replace", value: { id: group.body.id, displayName: "Platform Leadership" } }],
      });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      assert.equal(renamed.body.displayName, "Platform Leadership");
      assert.equal(
        (await server.request("GET", "/v1/teams/platform-leads")).body.displayName,
        "Platform Leadership",
      );
      assert.equal(await readsWeb(adaToken), 200);

      const removed = await idp("PATCH", `/Groups/${group.body.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "remove", path: `members[value eq "${ada.id}"]` }],
      });
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual(removed.body.members, []);
      assert.equal(await readsWeb(adaToken), 404, "out of the team, out of the project");

      // Deactivated: her tokens are revoked in the same transaction.
      const deactivated = await idp("PATCH", `/Users/${ada.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "replace", value: { active: false } }],
      });
      assert.equal(deactivated.status, 200, JSON.stringify(deactivated.body));
      assert.equal(deactivated.body.active, false);
      assertProblem(
        await server.request("GET", "/v1/projects/web/environments/production", { token: adaToken }),
        401,
        "unauthorized",
      );
      const entries = await server.request("GET", "/v1/audit?action=user.deprovision");
      const deprovision = entries.body.find((e: { targetId: string }) => e.targetId === "ada@example.com");
      assert.ok(deprovision, JSON.stringify(entries.body));
      assert.equal(deprovision.actor, "scim:okta");
      assert.equal(deprovision.after.revokedTokens.length, 1);
      assert.deepEqual(deprovision.after.teams, [], "she had left the team before");

      assert.equal((await idp("DELETE", `/Groups/${group.body.id}`)).status, 204);
      assert.equal((await server.request("GET", "/v1/teams/platform-leads")).status, 404);
      assert.equal((await idp("DELETE", `/Users/${ada.id}`)).status, 204);
      assertScimError(await idp("GET", `/Users/${ada.id}`), 404);
    });

    it('replays Entra ID: capitalised ops, active as "False", members removed by value, excludedAttributes', async () => {
      const created = await idp("POST", "/Users", {
        schemas: [userSchema, enterprise],
        externalId: "8c1f-bob",
        userName: "bob@contoso.com",
        active: true,
        displayName: "Bob",
        emails: [{ primary: true, type: "work", value: "bob@contoso.com" }],
        name: { formatted: "Bob B", familyName: "B", givenName: "Bob" },
        [enterprise]: { department: "Platform" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const bob = created.body;
      assert.deepEqual(bob.schemas, [userSchema, enterprise]);
      assert.equal(bob[enterprise].department, "Platform");
      const carol = (
        await idp("POST", "/Users", { schemas: [userSchema], userName: "carol@contoso.com", active: true })
      ).body;
      const byExternalId = await idp(
        "GET",
        `/Users?filter=${encodeURIComponent('externalId eq "8c1f-bob"')}`,
      );
      assert.deepEqual(
        byExternalId.body.Resources.map((u: { userName: string }) => u.userName),
        ["bob@contoso.com"],
      );
      const updated = await idp("PATCH", `/Users/${bob.id}`, {
        schemas: [patchSchema],
        Operations: [
          { op: "Replace", path: "displayName", value: "Bob Builder" },
          { op: "Add", path: 'emails[type eq "work"].value', value: "builder@contoso.com" },
        ],
      });
      assert.equal(updated.status, 200, JSON.stringify(updated.body));
      assert.equal(updated.body.displayName, "Bob Builder");
      assert.equal(updated.body.emails[0].value, "builder@contoso.com");

      const lookup = await idp(
        "GET",
        `/Groups?excludedAttributes=members&filter=${encodeURIComponent('displayName eq "SRE On-Call"')}`,
      );
      assert.equal(lookup.body.totalResults, 0);
      const group = (
        await idp("POST", "/Groups", {
          schemas: [groupSchema],
          externalId: "g-77",
          displayName: "SRE On-Call",
          members: [],
        })
      ).body;
      const added = await idp("PATCH", `/Groups/${group.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "Add", path: "members", value: [{ value: bob.id }, { value: carol.id }] }],
      });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.deepEqual((await server.request("GET", "/v1/teams/sre-on-call")).body.members, [
        "user:bob@contoso.com",
        "user:carol@contoso.com",
      ]);
      const withoutMembers = await idp("GET", `/Groups/${group.id}?excludedAttributes=members`);
      assert.equal(withoutMembers.body.members, undefined);
      // Entra ID's removal lists the members to remove: only those go.
      const removed = await idp("PATCH", `/Groups/${group.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "Remove", path: "members", value: [{ value: carol.id }] }],
      });
      assert.equal(removed.status, 200, JSON.stringify(removed.body));
      assert.deepEqual(
        removed.body.members.map((m: { value: string }) => m.value),
        [bob.id],
      );
      const member = await idp(
        "GET",
        `/Groups?filter=${encodeURIComponent(`id eq "${group.id}" and members[value eq "${bob.id}"]`)}&excludedAttributes=members`,
      );
      assert.equal(member.body.totalResults, 1);

      // Entra ID disables with the string "False": the user leaves every team, its tokens go.
      const bobToken = await issue("user:bob@contoso.com");
      await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "team:sre-on-call", role: "viewer" },
      });
      assert.equal(await readsWeb(bobToken), 200);
      const disabled = await idp("PATCH", `/Users/${bob.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "Replace", path: "active", value: "False" }],
      });
      assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
      assert.equal(disabled.body.active, false);
      assert.equal(await readsWeb(bobToken), 401);
      assert.deepEqual((await server.request("GET", "/v1/teams/sre-on-call")).body.members, []);
      // Enabled again, it gets no token back, and is in a team only when the directory says so.
      const enabled = await idp("PATCH", `/Users/${bob.id}`, {
        schemas: [patchSchema],
        Operations: [{ op: "Replace", path: "active", value: "True" }],
      });
      assert.equal(enabled.body.active, true);
      assert.equal(await readsWeb(bobToken), 401);
      assert.equal((await idp("DELETE", `/Users/${bob.id}`)).status, 204);
      assert.equal((await idp("DELETE", `/Users/${carol.id}`)).status, 204);
      assert.equal((await idp("DELETE", `/Groups/${group.id}`)).status, 204);
    });

    it("pages and filters lists, and answers discovery", async () => {
      const ids: string[] = [];
      for (let i = 1; i <= 5; i++) {
        const made = await idp("POST", "/Users", {
          schemas: [userSchema],
          userName: `pager${i}`,
          displayName: `Pager ${i}`,
        });
        assert.equal(made.status, 201, JSON.stringify(made.body));
        ids.push(made.body.id);
      }
      const page = await idp(
        "GET",
        `/Users?filter=${encodeURIComponent('userName sw "pager"')}&startIndex=3&count=2`,
      );
      assert.equal(page.status, 200, JSON.stringify(page.body));
      assert.equal(page.body.totalResults, 5);
      assert.equal(page.body.startIndex, 3);
      assert.equal(page.body.itemsPerPage, 2);
      assert.deepEqual(
        page.body.Resources.map((u: { userName: string }) => u.userName),
        ["pager3", "pager4"],
      );
      const both = await idp(
        "GET",
        `/Users?filter=${encodeURIComponent('displayName eq "Pager 2" or userName eq "pager5"')}`,
      );
      assert.deepEqual(both.body.Resources.map((u: { userName: string }) => u.userName).sort(), [
        "pager2",
        "pager5",
      ]);
      const config = await idp("GET", "/ServiceProviderConfig");
      assert.equal(config.body.patch.supported, true);
      assert.equal(config.body.filter.supported, true);
      const types = await idp("GET", "/ResourceTypes");
      assert.deepEqual(
        types.body.Resources.map((t: { id: string }) => t.id),
        ["User", "Group"],
      );
      const schemas = await idp("GET", "/Schemas");
      assert.equal(schemas.body.totalResults, 2);
      for (const id of ids) assert.equal((await idp("DELETE", `/Users/${id}`)).status, 204);
    });

    it("answers bad requests in the SCIM error schema, never a 500", async () => {
      const user = (await idp("POST", "/Users", { schemas: [userSchema], userName: "dup@example.com" })).body;
      assertScimError(
        await idp("POST", "/Users", { schemas: [userSchema], userName: "DUP@example.com" }),
        409,
        "uniqueness",
      );
      assertScimError(
        await idp("GET", `/Users?filter=${encodeURIComponent('userName eq "x" and')}`),
        400,
        "invalidFilter",
      );
      assertScimError(
        await idp("POST", "/Users", { schemas: [userSchema], userName: "has space" }),
        400,
        "invalidValue",
      );
      assertScimError(await idp("POST", "/Users", { schemas: [userSchema] }), 400, "invalidValue");
      // Text PostgreSQL cannot store, anywhere in the body.
      assertScimError(
        await idp("POST", "/Users", { userName: "nul@example.com", displayName: "a\u0000b" }),
        400,
        "invalidValue",
      );
      assertScimError(
        await idp("POST", "/Users", { userName: "nul@example.com", nickName: "\u0000" }),
        400,
        "invalidValue",
      );
      assertScimError(await idp("POST", "/Groups", { displayName: "x\u0000y" }), 400, "invalidValue");
      assertScimError(
        await idp("PATCH", `/Users/${user.id}`, { schemas: [patchSchema], Operations: [{ op: "remove" }] }),
        400,
        "noTarget",
      );
      assertScimError(
        await idp("PATCH", `/Users/${user.id}`, {
          schemas: [patchSchema],
          Operations: [{ op: "move", path: "x" }],
        }),
        400,
        "invalidValue",
      );
      assertScimError(await idp("GET", "/Users?count=many"), 400, "invalidValue");
      assertScimError(
        await idp("POST", "/Groups", {
          schemas: [groupSchema],
          displayName: "x",
          members: [{ value: "nobody" }],
        }),
        400,
        "invalidValue",
      );
      const raw = await fetch(`${server.url}/scim/v2/Users`, {
        method: "POST",
        headers: { authorization: `Bearer ${scim}`, ...scimJson },
        body: "{not json",
      });
      assert.equal(raw.status, 400);
      assert.equal(((await raw.json()) as { scimType?: string }).scimType, "invalidSyntax");
      assertScimError(await idp("GET", "/Users/00000000-0000-0000-0000-000000000000"), 404);
      assertScimError(await idp("GET", "/Nothing"), 404);
      // A group whose displayName derives to a taken team name.
      await idp("POST", "/Groups", { schemas: [groupSchema], displayName: "Data Team" });
      assertScimError(
        await idp("POST", "/Groups", { schemas: [groupSchema], displayName: "data team!" }),
        409,
        "uniqueness",
      );
      assert.equal((await idp("DELETE", `/Users/${user.id}`)).status, 204);
    });

    it("answers generated bodies, filters and patches with 2xx or a SCIM 4xx, never a 5xx", async () => {
      const user = (await idp("POST", "/Users", { schemas: [userSchema], userName: "fuzz-target" })).body;
      const group = (await idp("POST", "/Groups", { schemas: [groupSchema], displayName: "Fuzz Target" }))
        .body;
      const anyValue = fc.oneof(
        fc.jsonValue(),
        fc.string(),
        fc.constantFrom(
          "False",
          "True",
          "",
          null,
          [],
          {},
          [{ value: user.id }],
          [{ value: 42 }],
          "nul\u0000",
          "\ud800",
        ),
      );
      const operation = fc.record(
        {
          op: fc.oneof(fc.constantFrom("add", "Replace", "REMOVE", "remove", "copy"), fc.string()),
          path: fc.oneof(
            fc.constantFrom(
              "members",
              "active",
              "userName",
              'members[value eq "x"]',
              "emails[type eq",
              "displayName",
            ),
            fc.string(),
          ),
          value: anyValue,
        },
        { requiredKeys: ["op"] },
      );
      const request = fc.oneof(
        fc.record({
          method: fc.constant("POST"),
          url: fc.constantFrom("/Users", "/Groups"),
          body: fc.jsonValue(),
        }),
        fc.record({
          method: fc.constant("POST"),
          url: fc.constant("/Users"),
          body: fc.record(
            { userName: fc.string(), active: anyValue, externalId: anyValue },
            { requiredKeys: [] },
          ),
        }),
        fc.record({
          method: fc.constantFrom("PATCH", "PUT"),
          url: fc.constantFrom(`/Users/${user.id}`, `/Groups/${group.id}`),
          body: fc.oneof(
            fc.record({ schemas: fc.constant([patchSchema]), Operations: fc.array(operation) }),
            fc.jsonValue(),
          ),
        }),
        fc.record({
          method: fc.constant("GET"),
          url: fc
            .tuple(fc.constantFrom("/Users", "/Groups"), fc.string(), fc.string())
            .map(
              ([path, filter, count]) =>
                `${path}?filter=${encodeURIComponent(filter)}&count=${encodeURIComponent(count)}`,
            ),
          body: fc.constant(undefined),
        }),
      );
      await fc.assert(
        fc.asyncProperty(request, async ({ method, url, body }) => {
          const answer = await idp(method, url, body);
          assert.ok(
            answer.status < 500,
            `${method} ${url} ${JSON.stringify(body)}: ${JSON.stringify(answer.body)}`,
          );
          if (answer.status >= 400) assertScimError(answer, answer.status, answer.body.scimType);
        }),
        { numRuns: 300 },
      );
    });

    it("lets only directory tokens reach /scim/v2, and directory tokens nothing else", async () => {
      assertScimError(await server.request("GET", "/scim/v2/Users", { token: null }), 401);
      assertScimError(await server.request("GET", "/scim/v2/Users"), 403); // the org admin's
      assertProblem(await server.request("GET", "/v1/projects", { token: scim }), 403, "forbidden");
      assertProblem(await server.request("GET", "/v1/teams", { token: scim }), 403, "forbidden");
      const developer = await issue("user:dev");
      assertProblem(
        await server.request("POST", "/v1/tokens", {
          token: developer,
          body: { name: "x", subject: "service:x", scim: true },
        }),
        403,
        "forbidden",
      );
      assertProblem(
        await server.request("POST", "/v1/tokens", {
          body: { name: "x", subject: "service:x", scim: true, orgAdmin: true },
        }),
        400,
        "validation_failed",
      );
    });

    it("refuses code and hand changes to a directory team unless adopted", async () => {
      const group = (await idp("POST", "/Groups", { schemas: [groupSchema], displayName: "Auditors" })).body;
      const team = (await server.request("GET", "/v1/teams/auditors")).body;
      const patched = await server.request("PATCH", "/v1/teams/auditors", {
        body: { members: ["user:mallory"] },
        headers: { "if-match": String(team.version) },
      });
      assertProblem(patched, 409, "conflict");
      assert.match(patched.body.detail, /managed by the directory/);
      const member = await server.request("PUT", "/v1/teams/auditors/members/user:mallory", {
        headers: { "tenancy-owner": "urn:pulumi:org::org::tenancy:index:TeamMember::m" },
      });
      assertProblem(member, 409, "conflict");
      assert.match(member.body.detail, /managed by the directory/);
      assert.deepEqual((await server.request("GET", "/v1/teams/auditors")).body.members, []);
      assert.equal((await idp("DELETE", `/Groups/${group.id}`)).status, 204);
    });
  });
}
