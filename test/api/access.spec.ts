// The role matrix: role × binding scope × target × operation, the expected answer asserted over HTTP.
import { strict as assert } from "node:assert";
import { roles, type Role } from "../../model";
import { seed } from "./seed";
import { STORES, startTestServer, type TestServer } from "./server";

type Operation = "read" | "create" | "change" | "delete" | "reveal" | "manage-bindings";
const operations: Operation[] = ["read", "create", "change", "delete", "reveal", "manage-bindings"];
const needed: Record<Operation, Role> = {
  read: "viewer",
  create: "contributor",
  change: "developer",
  delete: "developer",
  reveal: "developer",
  "manage-bindings": "admin",
};
const rank = (role: Role) => roles.indexOf(role);

const targets = {
  "in scope": { project: "web", environment: "production" },
  "other environment": { project: "web", environment: "development" },
  "other project": { project: "api", environment: "development" },
} as const;
type TargetName = keyof typeof targets;

const envPath = (t: { project: string; environment: string }) =>
  `/v1/projects/${t.project}/environments/${t.environment}`;

/** Performs `operation` on the target as `token`; returns the HTTP status. */
async function attempt(
  server: TestServer,
  token: string,
  operation: Operation,
  target: { project: string; environment: string },
  n: number,
) {
  const path = envPath(target);
  switch (operation) {
    case "read":
      return (await server.request("GET", path, { token })).status;
    case "create":
      return (
        await server.request("POST", `${path}/secrets`, {
          token,
          body: { name: `made-${n}`, reference: "vault://x" },
        })
      ).status;
    case "change": {
      const current = await server.request("GET", path);
      return (
        await server.request("PATCH", path, {
          token,
          body: { description: `change ${n}` },
          headers: { "if-match": String(current.body.version) },
        })
      ).status;
    }
    case "delete": {
      await server.request("POST", `${path}/secrets`, {
        body: { name: `doomed-${n}`, reference: "vault://x" },
      });
      return (
        await server.request("DELETE", `${path}/secrets/doomed-${n}`, { token, headers: { "if-match": "1" } })
      ).status;
    }
    case "reveal":
      return (await server.request("POST", `${path}/secrets/shared/reveal`, { token })).status;
    case "manage-bindings":
      return (
        await server.request("POST", `/v1/projects/${target.project}/role-bindings`, {
          token,
          body: { environment: target.environment, subject: `team:granted-${n}`, role: "viewer" },
        })
      ).status;
  }
}

function expected(
  role: Role,
  scope: "project" | "environment",
  target: TargetName,
  operation: Operation,
): boolean {
  const covered = target === "in scope" || (target === "other environment" && scope === "project");
  return covered && rank(role) >= rank(needed[operation]);
}

for (const kind of STORES) {
  describe(`api access (${kind})`, function () {
    this.timeout(120_000);
    let server: TestServer;
    let token: string;

    before(async () => {
      server = await startTestServer(kind);
      await seed(server);
      await server.request("POST", "/v1/projects", { body: { name: "api" } });
      await server.request("POST", "/v1/projects/api/environments", { body: { domain: "development" } });
      for (const target of Object.values(targets)) {
        const shared = await server.request("POST", `${envPath(target)}/secrets`, {
          body: { name: "shared", value: "v" },
        });
        assert.equal(shared.status, 201);
      }
      const issued = await server.request("POST", "/v1/tokens", {
        body: { name: "alice-laptop", subject: "user:alice", teams: ["team:platform"] },
      });
      assert.equal(issued.status, 201);
      token = issued.body.token;
    });
    after(async () => server.close());

    let n = 0;
    for (const role of roles) {
      for (const scope of ["project", "environment"] as const) {
        // Half the cases bind the user's team instead of the user: a team binding counts the same.
        const subject = rank(role) % 2 === 0 ? "team:platform" : "user:alice";
        it(`${role} bound to ${subject} on the ${scope}`, async () => {
          const binding = await server.request("POST", "/v1/projects/web/role-bindings", {
            body: { subject, role, ...(scope === "environment" ? { environment: "production" } : {}) },
          });
          assert.equal(binding.status, 201, JSON.stringify(binding.body));
          const mismatches: string[] = [];
          try {
            for (const [targetName, target] of Object.entries(targets) as [
              TargetName,
              (typeof targets)[TargetName],
            ][]) {
              for (const operation of operations) {
                const status = await attempt(server, token, operation, target, n++);
                const allowed = status >= 200 && status < 300;
                const want = expected(role, scope, targetName, operation);
                if (allowed !== want || (!allowed && status !== 403)) {
                  mismatches.push(
                    `${operation} on ${targetName}: got ${status}, want ${want ? "2xx" : "403"}`,
                  );
                }
              }
            }
          } finally {
            await server.request("DELETE", `/v1/projects/web/role-bindings/${binding.body.id}`);
          }
          assert.deepEqual(mismatches, []);
        });
      }
    }

    it("revokes access on the next request when a binding is deleted", async () => {
      const binding = await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "team:platform", role: "viewer" },
      });
      assert.equal((await server.request("GET", envPath(targets["in scope"]), { token })).status, 200);
      await server.request("DELETE", `/v1/projects/web/role-bindings/${binding.body.id}`);
      assert.equal((await server.request("GET", envPath(targets["in scope"]), { token })).status, 403);
    });

    it("lists only the projects and environments a caller holds roles in", async () => {
      const binding = await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:alice", role: "viewer", environment: "production" },
      });
      try {
        const projects = await server.request("GET", "/v1/projects", { token });
        assert.deepEqual(
          projects.body.map((p: { name: string }) => p.name),
          ["web"],
        );
        const environments = await server.request("GET", "/v1/projects/web/environments", { token });
        assert.deepEqual(
          environments.body.map((e: { name: string }) => e.name),
          ["production"],
        );
        assert.equal((await server.request("GET", "/v1/projects/api/environments", { token })).status, 403);
      } finally {
        await server.request("DELETE", `/v1/projects/web/role-bindings/${binding.body.id}`);
      }
    });

    it("keeps domains, tokens and the audit log to org admins, and refuses revoked and expired tokens", async () => {
      assert.equal((await server.request("GET", "/v1/domains", { token })).status, 200);
      assert.equal(
        (await server.request("POST", "/v1/domains", { token, body: { name: "qa", tier: "non-production" } }))
          .status,
        403,
      );
      assert.equal((await server.request("GET", "/v1/tokens", { token })).status, 403);
      assert.equal((await server.request("GET", "/v1/audit", { token })).status, 403);
      assert.equal(
        (await server.request("POST", "/v1/projects", { token, body: { name: "mine" } })).status,
        403,
      );

      const listed = await server.request("GET", "/v1/tokens");
      assert.ok(
        listed.body.every(
          (t: Record<string, unknown>) => t.token === undefined && t.token_hash === undefined,
        ),
      );
      const soon = await server.request("POST", "/v1/tokens", {
        body: { name: "short", subject: "service:ci", expiresAt: new Date(Date.now() + 1500).toISOString() },
      });
      assert.equal((await server.request("GET", "/v1/domains", { token: soon.body.token })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1600));
      assert.equal((await server.request("GET", "/v1/domains", { token: soon.body.token })).status, 401);

      const revocable = await server.request("POST", "/v1/tokens", {
        body: { name: "revocable", subject: "service:ci" },
      });
      // Used first, so the server has it cached: revoking must still take effect on the next request.
      assert.equal((await server.request("GET", "/v1/domains", { token: revocable.body.token })).status, 200);
      assert.equal((await server.request("DELETE", `/v1/tokens/${revocable.body.id}`)).status, 204);
      assert.equal((await server.request("GET", "/v1/domains", { token: revocable.body.token })).status, 401);
    });
  });
}
