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

/** The status the caller must get: 2xx when its role suffices, 403 when it covers the target with
 * too weak a role, 404 when nothing covers it (as if the target did not exist). */
function expected(role: Role, scope: "project" | "environment", target: TargetName, operation: Operation) {
  const covered = target === "in scope" || (target === "other environment" && scope === "project");
  if (!covered) return 404;
  return rank(role) >= rank(needed[operation]) ? "2xx" : 403;
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
                const got = status >= 200 && status < 300 ? "2xx" : status;
                const want = expected(role, scope, targetName, operation);
                if (got !== want)
                  mismatches.push(`${operation} on ${targetName}: got ${status}, want ${want}`);
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
      assert.equal((await server.request("GET", envPath(targets["in scope"]), { token })).status, 404);
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
        assert.equal((await server.request("GET", "/v1/projects/api/environments", { token })).status, 404);
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
    it("answers a stranger's probes exactly as it answers for what does not exist", async () => {
      const probes = (project: string, environment: string) => [
        ["GET", `/v1/projects/${project}`],
        ["GET", `/v1/projects/${project}/environments`],
        ["GET", `/v1/projects/${project}/environments/${environment}`],
        ["GET", `/v1/projects/${project}/environments/${environment}/quota`],
        ["GET", `/v1/projects/${project}/environments/${environment}/secrets/shared`],
        ["GET", `/v1/projects/${project}/role-bindings`],
        ["POST", `/v1/projects/${project}/environments/${environment}/secrets/shared/reveal`],
      ];
      const existing = probes("api", "development");
      const missing = probes("nope", "development");
      for (let i = 0; i < existing.length; i++) {
        const [method, url] = existing[i]!;
        const real = await server.request(method!, url!, { token });
        const absent = await server.request(method!, missing[i]![1]!, { token });
        assert.equal(real.status, 404, `${method} ${url}`);
        assert.equal(real.body.code, "not_found");
        assert.equal(real.body.detail, absent.body.detail.replace("nope", "api"), `${method} ${url}`);
      }
    });

    it("lets only admins of both projects move an environment", async () => {
      const created = await server.request("POST", "/v1/projects/web/environments", {
        body: { domain: "development", name: "moving" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const grant = async (project: string, role: Role, environment?: string) =>
        (
          await server.request("POST", `/v1/projects/${project}/role-bindings`, {
            body: { subject: "user:alice", role, ...(environment ? { environment } : {}) },
          })
        ).body.id as string;
      const move = async () => {
        const current = await server.request("GET", "/v1/projects/web/environments/moving");
        return server.request("POST", "/v1/projects/web/environments/moving/transfer", {
          token,
          body: { project: "api" },
          headers: { "if-match": String(current.body.version) },
        });
      };
      const granted: [string, string][] = [];
      try {
        // A developer of the source who administers the destination: the escalation the rule stops.
        granted.push(["web", await grant("web", "developer")], ["api", await grant("api", "admin")]);
        assert.equal((await move()).status, 403);
        granted.push(["web", await grant("web", "admin", "moving")]);
        assert.equal((await move()).status, 403, "an environment-scoped admin may not move it either");
        granted.push(["web", await grant("web", "admin")]);
        const moved = await move();
        assert.equal(moved.status, 200, JSON.stringify(moved.body));
        assert.equal(moved.body.project, "api");
      } finally {
        for (const [project, id] of granted) {
          await server.request("DELETE", `/v1/projects/${project}/role-bindings/${id}`);
        }
        for (const project of ["web", "api"]) {
          const left = await server.request("GET", `/v1/projects/${project}/environments/moving`);
          if (left.status === 200) {
            await server.request("DELETE", `/v1/projects/${project}/environments/moving`, {
              headers: { "if-match": String(left.body.version) },
            });
          }
        }
      }
    });

    it("keeps quotas to admins: users of an environment cannot set or raise their own limit", async () => {
      const path = `${envPath(targets["in scope"])}/quota`;
      for (const role of ["contributor", "developer"] as const) {
        const binding = await server.request("POST", "/v1/projects/web/role-bindings", {
          body: { subject: "user:alice", role, environment: "production" },
        });
        try {
          const current = await server.request("GET", path);
          const put = await server.request("PUT", path, {
            token,
            body: { cpu: "1000" },
            headers: current.status === 200 ? { "if-match": String(current.body.version) } : {},
          });
          assert.equal(put.status, 403, `${role}: ${JSON.stringify(put.body)}`);
          assert.match(put.body.detail, /needs admin/);
        } finally {
          await server.request("DELETE", `/v1/projects/web/role-bindings/${binding.body.id}`);
        }
      }
      const admin = await server.request("POST", "/v1/projects/web/role-bindings", {
        body: { subject: "user:alice", role: "admin", environment: "production" },
      });
      try {
        const current = await server.request("GET", path);
        const put = await server.request("PUT", path, {
          token,
          body: { cpu: "8" },
          headers: current.status === 200 ? { "if-match": String(current.body.version) } : {},
        });
        assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
      } finally {
        await server.request("DELETE", `/v1/projects/web/role-bindings/${admin.body.id}`);
      }
    });
  });
}
