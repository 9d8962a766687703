// The seven tenancy resources through the real CLI, on both transports: the embedded store in a
// local folder, and HTTP to a control plane on PostgreSQL started by the test.
import { strict as assert } from "node:assert";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { createClient, type ClientOptions } from "../../provider/connect";
import { adminToken, startTestServer, type TestServer } from "../api/server";
import { assertOk, withStack, type CommandResult } from "../../scripts/harness";
import { baseSpec, canary, declare, snapshot } from "./organisation";

/** Every entry below `dir` with its modification time, to tell whether anything touched it. */
async function modificationTimes(dir: string): Promise<Record<string, number>> {
  const times: Record<string, number> = { ".": (await fs.stat(dir)).mtimeMs };
  for (const entry of await fs.readdir(dir, { recursive: true })) {
    times[entry] = (await fs.stat(path.join(dir, entry))).mtimeMs;
  }
  return times;
}

const transports = [
  { name: "embedded", postgres: false },
  { name: "http + postgres", postgres: true },
];

for (const transport of transports) {
  describe(`engine: tenancy resources (${transport.name})`, function () {
    this.timeout(900_000);
    let server: TestServer | undefined;

    before(async () => {
      if (transport.postgres) server = await startTestServer("postgres");
    });
    after(async () => server?.close());

    it("goes up, previews without requests, updates, transfers, shows drift, guards protected, destroys", async () => {
      const outputs: string[] = [];
      const seen = (result: CommandResult) => {
        outputs.push(result.output);
        return result;
      };
      const config: Record<string, string | { secret: string }> = { "org:secret-db": { secret: canary } };
      if (server) {
        config["tenancy:endpoint"] = server.url;
        config["tenancy:token"] = { secret: adminToken };
      }
      await withStack({ program: "organisation", config }, async (stack) => {
        const api: ClientOptions = server
          ? { endpoint: server.url, token: adminToken }
          : { endpoint: `file://${path.join(stack.root, "store")}` };
        if (!server) await stack.pulumiOk(["config", "set", "tenancy:endpoint", api.endpoint!]);
        const spec = baseSpec();
        await declare(stack, spec);

        seen(assertOk(await stack.up(), "up"));
        const created = await snapshot(api);
        assert.deepEqual(created.domains, [
          "development:non-production",
          "production:production",
          "staging:non-production",
        ]);
        assert.deepEqual(created.projects, ["acme", "ml", "web"]);
        assert.deepEqual(created.environments, [
          "acme/acme-prod:production",
          "acme/acme-trial:staging",
          "acme/development:development",
          "ml/development:development",
          "ml/production:production",
          "web/development:development",
          "web/production:production",
        ]);
        assert.deepEqual(created.quotas, [
          "acme/acme-prod:cpu=4",
          "ml/production:cpu=32",
          "web/production:cpu=8",
        ]);
        assert.deepEqual(created.secrets, [
          "ml/development/registry:reference",
          "web/production/db-password:value",
        ]);
        assert.deepEqual(created.roles, [
          "acme/*/service:ci/contributor",
          "ml/production/team:ml-ops/admin",
          "web/*/team:storefront/developer",
        ]);
        const revealed = await createClient(api).secrets.reveal("web", "production", "db-password");
        assert.equal(revealed.value, canary);
        if (!server) await createClient(api).close();

        // No change: no diff, and no request at all: counted in the server's log over HTTP; for
        // the embedded store, its folder is not even opened (opening it touches the lock file).
        const requestsBefore = server?.logs().split("incoming request").length;
        const storeBefore = server ? undefined : await modificationTimes(path.join(stack.root, "store"));
        seen(assertOk(await stack.preview("--expect-no-changes"), "preview with no changes"));
        if (server) {
          assert.equal(
            server.logs().split("incoming request").length,
            requestsBefore,
            "preview called the control plane",
          );
        } else {
          assert.deepEqual(
            await modificationTimes(path.join(stack.root, "store")),
            storeBefore,
            "preview opened the store",
          );
        }

        // One quota changes: one update, nothing else touched.
        spec.quotas[0]!.cpu = "12";
        await declare(stack, spec);
        const quotaUp = seen(assertOk(await stack.up(), "up after a quota change"));
        assert.match(quotaUp.output, /^\s+~ 1 updated$/m);
        assert.doesNotMatch(quotaUp.output, /created|deleted|replaced/);
        assert.ok((await snapshot(api)).quotas.includes("web/production:cpu=12"));

        // A new project for an existing environment: a transfer, in place.
        spec.environments.find((e) => e.key === "acme-trial")!.project = "ml";
        await declare(stack, spec);
        const transfer = seen(assertOk(await stack.up(), "up with a transfer"));
        assert.doesNotMatch(transfer.output, /replaced/);
        const transferred = await snapshot(api);
        assert.ok(
          transferred.environments.includes("ml/acme-trial:staging"),
          transferred.environments.join(),
        );

        // Drift made through the API shows in refresh; the next up restores the declared state.
        const direct = createClient(api);
        const quota = await direct.quotas.get("web", "production");
        await direct.quotas.put(
          "web",
          "production",
          { cpu: "2", memory: "16Gi", maxConcurrentExecutions: 20 },
          quota.version,
        );
        const binding = (await direct.roleBindings.list("acme"))[0]!;
        await direct.roleBindings.delete("acme", binding.id);
        await direct.close();
        const logsBeforeRefresh = server?.logs().length;
        const refresh = seen(assertOk(await stack.refresh(), "refresh"));
        if (server) {
          // The whole stack's projects and domains come in one answer, not a request per project.
          const refreshLogs = server.logs().slice(logsBeforeRefresh);
          assert.equal(refreshLogs.split('"url":"/v1/objects?stack=').length - 1, 1, refreshLogs);
          assert.doesNotMatch(refreshLogs, /"url":"\/v1\/projects\/[^"]*\/objects"/);
        }
        assert.match(refresh.output, /^\s+~ 1 updated$/m);
        assert.match(refresh.output, /^\s+- 1 deleted$/m);
        // The refreshed quota's update shows its drifted field only: refresh keeps its owner input.
        const afterRefresh = seen(
          assertOk(await stack.pulumi(["preview", "--diff"]), "preview after refresh"),
        );
        const quotaUpdate =
          /~ pulumi-nodejs:dynamic\/tenancy:Quota: \(update\)[\s\S]*?(?=\n\s*[~+-] pulumi|\nResources:)/.exec(
            afterRefresh.output,
          );
        assert.ok(quotaUpdate, afterRefresh.output);
        assert.match(quotaUpdate[0], /cpu\s*: "2" => "12"/);
        assert.doesNotMatch(quotaUpdate[0], /[+~-] managedBy/);
        seen(assertOk(await stack.up(), "up after drift"));
        const restored = await snapshot(api);
        assert.ok(restored.quotas.includes("web/production:cpu=12"));
        assert.ok(restored.roles.includes("acme/*/service:ci/contributor"));

        // A protected environment stops destroy, with the reason, until it is unset.
        spec.environments.find((e) => e.key === "web-prod")!.protected = true;
        await declare(stack, spec);
        seen(assertOk(await stack.up(), "up protecting web/production"));
        const protectedState = await snapshot(api);
        const blocked = seen(await stack.pulumi(["destroy", "--yes"]));
        assert.notEqual(blocked.code, 0, "destroy must fail on a protected environment");
        assert.match(blocked.output, /web-prod[\s\S]*protect/);
        assert.deepEqual(await snapshot(api), protectedState, "destroy's preview stops it before any change");
        spec.environments.find((e) => e.key === "web-prod")!.protected = false;
        await declare(stack, spec);
        seen(assertOk(await stack.up(), "up unprotecting web/production"));

        const exported = await stack.exportState();
        assert.ok(!exported.text.includes(canary), "the secret value is in the exported state in plain text");
        assert.ok(!exported.text.includes(adminToken), "the token is in the exported state in plain text");
        if (server) {
          // The engine records the stack's configuration as the default provider's inputs: the
          // token is there as a Pulumi secret, encrypted by the stack's secrets provider (README).
          const defaultProvider = exported.resources.find((r) => r.type === "pulumi:providers:pulumi-nodejs");
          const token = defaultProvider?.inputs?.["tenancy:token"] as { ciphertext?: unknown } | undefined;
          assert.equal(typeof token?.ciphertext, "string", JSON.stringify(defaultProvider?.inputs));
        }
        const providers = exported.resources.filter((r) =>
          r.type.startsWith("pulumi-nodejs:dynamic/tenancy:"),
        );
        for (const resource of providers) {
          const provider = String(resource.inputs?.__provider ?? "");
          // The bench target: at most 1 KB of serialized provider per resource.
          assert.ok(provider.length <= 1024, `__provider of ${resource.urn} is ${provider.length} bytes`);
          assert.ok(!provider.includes(adminToken) && !provider.includes(canary));
        }

        seen(assertOk(await stack.destroy(), "destroy"));
        const empty = await snapshot(api);
        assert.deepEqual([empty.domains, empty.projects], [[], []]);
        for (const text of outputs)
          assert.ok(!text.includes(canary), "the secret value appeared in a command's output");
        for (const text of outputs)
          assert.ok(!text.includes(adminToken), "the token appeared in a command's output");
      });
    });
  });
}
