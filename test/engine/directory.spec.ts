// The directory and the code together, with the real CLI: a stack binds a role to a team the
// identity provider keeps; the directory adds a member, whose token acts at once; the stack cannot
// change who is in that team.
import { strict as assert } from "node:assert";
import { assertOk, withStack } from "../../scripts/harness";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { baseSpec, canary, connect, declare } from "./organisation";

describe("engine: a role bound in code to a directory team", function () {
  this.timeout(600_000);
  let server: TestServer;
  before(async () => (server = await startTestServer("pglite")));
  after(async () => server.close());

  it("reaches a member the directory adds at once, and the stack cannot change the team's members", async () => {
    const issue = async (body: object) => {
      const issued = await server.request("POST", "/v1/tokens", { body });
      assert.equal(issued.status, 201, JSON.stringify(issued.body));
      return issued.body.token as string;
    };
    const directory = await issue({ name: "entra", subject: "service:entra", scim: true });
    const idp = async (method: string, url: string, body: object) => {
      const answer = await server.request(method, `/scim/v2${url}`, { token: directory, body });
      assert.ok(answer.status < 300, JSON.stringify(answer.body));
      return answer.body;
    };
    const ada = await idp("POST", "/Users", { userName: "ada@example.com", active: true });
    const group = await idp("POST", "/Groups", { displayName: "Platform Leads", members: [] });
    const adaToken = await issue({ name: "ada", subject: "user:ada@example.com" });
    const writeDefaults = () =>
      server.request("PUT", "/v1/projects/web/environments/development/defaults", {
        token: adaToken,
        body: { requests: { cpu: "250m" } },
      });

    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack) => {
        await connect(stack, server, adminToken);
        const spec = baseSpec();
        spec.roles.push({ project: "web", subject: "team:platform-leads", role: "developer" });
        await declare(stack, spec);
        assertOk(await stack.up(), "up");
        assert.equal((await writeDefaults()).status, 404, "not a member yet: web is not hers to see");

        await idp("PATCH", `/Groups/${group.id}`, {
          schemas: ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
          Operations: [{ op: "Add", path: "members", value: [{ value: ada.id }] }],
        });
        const written = await writeDefaults();
        assert.equal(written.status, 200, JSON.stringify(written.body));

        // A TeamMember of the directory's team is refused, naming the directory.
        await declare(stack, { ...spec, memberships: [{ team: "platform-leads", subject: "user:mallory" }] });
        const refused = await stack.pulumi(["up", "--yes"]);
        assert.notEqual(refused.code, 0, refused.output);
        assert.match(refused.output, /team platform-leads is managed by the directory/);
        const team = await server.request("GET", "/v1/teams/platform-leads");
        assert.deepEqual(team.body.members, ["user:ada@example.com"]);
        await declare(stack, spec);
      },
    );
  });
});
