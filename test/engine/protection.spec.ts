// A protected environment is refused at preview: removing it (with its quota, defaults and secret)
// or replacing it (renaming its project) fails `pulumi preview` before anything changes, and
// `pulumi up` and `pulumi destroy` delete none of its dependents (their preview stops them first).
// One clear message names it; no stack trace.
import { strict as assert } from "node:assert";
import { assertOk, withStack } from "../../scripts/harness";
import { adminToken } from "../api/server";
import { baseSpec, canary, connect, declare, describeOnTransports, snapshot } from "./organisation";

describeOnTransports("engine: protected environments at preview", (_transport, server) => {
  it("refuses removing or replacing a protected environment in preview, and up changes nothing", async () => {
    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack) => {
        const api = await connect(stack, server(), adminToken);
        const spec = baseSpec();
        spec.environments.find((e) => e.key === "web-prod")!.protected = true;
        await declare(stack, spec);
        assertOk(await stack.up(), "up");
        const before = await snapshot(api);

        const removed = structuredClone(spec);
        removed.environments = removed.environments.filter((e) => e.key !== "web-prod");
        removed.quotas = removed.quotas.filter((q) => q.environment !== "web-prod");
        removed.defaults = removed.defaults.filter((d) => d.environment !== "web-prod");
        removed.secrets = removed.secrets.filter((s) => s.environment !== "web-prod");
        await declare(stack, removed);
        const preview = await stack.preview();
        assert.notEqual(preview.code, 0, "preview must refuse deleting a protected environment");
        assert.match(preview.output, /web-prod/);
        assert.match(preview.output, /protect/);
        assert.doesNotMatch(preview.output, /\n\s+at .+\(.+:\d+:\d+\)/, "no stack trace");
        // `pulumi up` and `pulumi destroy` as users run them: their preview stops them before any step.
        const up = await stack.pulumi(["up", "--yes"]);
        assert.notEqual(up.code, 0);
        assert.deepEqual(await snapshot(api), before, "up changed something before it stopped");
        const destroy = await stack.pulumi(["destroy", "--yes"]);
        assert.notEqual(destroy.code, 0, "destroy is refused as well");
        assert.deepEqual(await snapshot(api), before, "destroy changed something before it stopped");

        const renamed = structuredClone(spec);
        renamed.projects.find((p) => p.key === "web")!.name = "webshop";
        await declare(stack, renamed);
        const rename = await stack.preview();
        assert.notEqual(rename.code, 0, "replacing a protected environment is refused at preview");
        assert.deepEqual(await snapshot(api), before);

        // Unprotected first, it can go.
        await declare(stack, spec);
        spec.environments.find((e) => e.key === "web-prod")!.protected = false;
        await declare(stack, spec);
        assertOk(await stack.up(), "up unprotecting");
        await declare(stack, removed);
        assertOk(await stack.up(), "up removing it once unprotected");
        assert.ok(!(await snapshot(api)).environments.includes("web/production"));
      },
    );
  });

  it("deletes nothing of a protected environment whose removal is refused only when applied", async () => {
    await withStack(
      { program: "organisation", config: { "org:secret-db": { secret: canary } } },
      async (stack) => {
        const api = await connect(stack, server(), adminToken);
        const spec = baseSpec();
        spec.environments.find((e) => e.key === "web-prod")!.protected = true;
        Object.assign(
          spec.environments.find((e) => e.key === "ml-prod")!,
          {
            protected: true,
            protectedAsOutput: true,
          },
        );
        spec.roles.push({ project: "web", environment: "web-prod", subject: "team:oncall", role: "viewer" });
        await declare(stack, spec);
        assertOk(await stack.up(), "up");
        const before = await snapshot(api);
        const without = (key: string) => {
          const removed = structuredClone(spec);
          removed.environments = removed.environments.filter((e) => e.key !== key);
          removed.quotas = removed.quotas.filter((q) => q.environment !== key);
          removed.defaults = removed.defaults.filter((d) => d.environment !== key);
          removed.secrets = removed.secrets.filter((s) => s.environment !== key);
          removed.roles = removed.roles.filter((r) => r.environment !== key);
          return removed;
        };

        // Without a preview, Pulumi's protect is checked only when the environment's delete comes,
        // after its dependents' deletes; they go with the environment, so none of them happened.
        await declare(stack, without("web-prod"));
        const skipped = await stack.pulumi(["up", "--yes", "--skip-preview"]);
        assert.notEqual(skipped.code, 0, "up must fail on the protected environment");
        assert.match(skipped.output, /web-prod/);
        assert.deepEqual(await snapshot(api), before, "up --skip-preview deleted something");
        await declare(stack, spec);
        assertOk(await stack.up(), "up declaring it again");
        assert.deepEqual(await snapshot(api), before);
        const again = await stack.preview();
        assert.match(again.output, /\b0 to (create|update|delete)|unchanged/, again.output);

        // Protected through an Output, only the control plane refuses, when the delete is sent.
        await declare(stack, without("ml-prod"));
        const refused = await stack.up();
        assert.notEqual(refused.code, 0, "the control plane refuses deleting a protected environment");
        assert.match(refused.output, /protected/);
        const diagnostics = refused.output.slice(refused.output.lastIndexOf("Diagnostics:"));
        assert.equal(
          diagnostics.match(/Could not delete Environment ml\/production/g)?.length,
          1,
          `said once:\n${diagnostics}`,
        );
        assert.doesNotMatch(refused.output, /\n\s+at .+\(.+:\d+:\d+\)/, "no stack trace");
        assert.deepEqual(await snapshot(api), before, "up deleted something before the refusal");
        await declare(stack, spec);
        assertOk(await stack.up(), "up declaring it again");
        assert.deepEqual(await snapshot(api), before);

        // Replaced with its renamed project, it is refused at preview, from the state's record of it.
        const renamed = structuredClone(spec);
        renamed.projects.find((p) => p.key === "ml")!.name = "ml-platform";
        await declare(stack, renamed);
        const rename = await stack.preview();
        assert.notEqual(rename.code, 0, "replacing a protected environment is refused at preview");
        assert.match(rename.output, /Could not replace Environment ml\/production: it is protected/);
        assert.deepEqual(await snapshot(api), before);
      },
    );
  });
});
