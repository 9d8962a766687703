// The web console in a real browser (Debian's chromium through playwright-core) against
// `tenancy serve`: what an org admin and a viewer of one project see, the numbers beside the API's,
// the XSS canary, the security headers, the token's whereabouts and an axe-core scan.
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, serve, signIn, type ServeProcess } from "../../scripts/harness";
import { call, secretCanary, seedOrganisation, xssCanary } from "./seed";

const admin = "tnc_console_admin_token_0123456789abcdef";

describe("console (chromium against tenancy serve)", function () {
  this.timeout(120_000);
  let server: ServeProcess;
  let browser: Browser;
  let viewer: string;
  let dataDir: string;

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-console-"));
    fs.cpSync(process.env.TENANCY_TEST_PGLITE_TEMPLATE!, dataDir, { recursive: true });
    server = await serve(["--data", dataDir], { TENANCY_BOOTSTRAP_TOKEN: admin });
    ({ viewer } = await seedOrganisation(server.url, admin));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function page(): Promise<Page> {
    const context = await browser.newContext();
    const opened = await context.newPage();
    opened.on("dialog", (dialog) => {
      throw new Error(`a dialog opened: ${dialog.message()}`);
    });
    return opened;
  }

  const cell = (p: Page, project: string, domain: string) =>
    p.locator(`tr[data-project="${project}"] td[data-domain="${domain}"]`);

  it("shows an org admin every project × domain cell, with protection, quota use and running executions", async () => {
    const p = await page();
    await signIn(p, server.url, admin);
    const rows = await p
      .locator("tbody tr")
      .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-project")));
    assert.deepEqual(rows, ["legacy", "ml", "web"]);
    const webProd = cell(p, "web", "production");
    await webProd.getByText("protected").waitFor();
    // 3 of 8 CPUs is the fullest dimension (memory: 6Gi of 16Gi; executions: 3 of 10).
    assert.match(await webProd.innerText(), /cpu 38% \(3 \/ 8\)/);
    assert.match(await webProd.innerText(), /3 running/);
    assert.match(await cell(p, "ml", "production").innerText(), /gpu 75% \(3 \/ 4\)/);
    assert.match(await cell(p, "web", "development").innerText(), /no quota/);
    assert.match(await p.locator('tr[data-project="legacy"]').innerText(), /archived/);
    // Filters: by name, and by label.
    await p.getByLabel("Filter by label").fill("team=research");
    assert.deepEqual(
      await p.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-project"))),
      ["ml"],
    );
    await p.getByLabel("Filter by label").fill("");
    await p.getByLabel("Filter by name").fill("we");
    assert.deepEqual(
      await p.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-project"))),
      ["web"],
    );
    // The token: in this tab's session storage only.
    assert.doesNotMatch(p.url(), new RegExp(admin));
    assert.equal(await p.evaluate(() => localStorage.length), 0);
    assert.deepEqual(await p.context().cookies(), []);
    assert.equal(await p.evaluate(() => sessionStorage.getItem("tenancy.token")), admin);
    await p.context().close();
  });

  it("shows a viewer of one project that project only", async () => {
    const p = await page();
    await signIn(p, server.url, viewer);
    assert.deepEqual(
      await p.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-project"))),
      ["web"],
    );
    assert.doesNotMatch(await p.locator("main").innerText(), /\bml\b|legacy|gpu/);
    // Another project's pages, opened by URL, show the API's refusal and none of its data.
    await p.goto(`${server.url}/ui/projects/ml/environments/production`);
    await p.getByRole("alert").waitFor();
    const text = await p.locator("main").innerText();
    assert.match(text, /does not exist|not found|forbidden/i, text);
    assert.doesNotMatch(text, /gpu|3 \/ 4/);
    await p.goto(`${server.url}/ui/audit`);
    await p.getByText("The audit log is for org admins").waitFor();
    await p.context().close();
  });

  it("shows the pair's quota and usage as the API returns them, its secrets without values, and its access", async () => {
    const effective = await call(
      server.url,
      admin,
      "GET",
      "/v1/projects/web/environments/production/effective",
    );
    const p = await page();
    await signIn(p, server.url, admin);
    await p.goto(`${server.url}/ui/projects/web/environments/production`);
    const quota = p.getByRole("region", { name: "Quota use" });
    await quota.locator("table").waitFor();
    const row = (dimension: string) => quota.locator(`tr[data-dimension="${dimension}"]`);
    assert.match(
      await row("cpu").innerText(),
      new RegExp(`${effective.quota.usage.cpu} / ${effective.quota.cpu}`),
    );
    assert.match(
      await row("memory").innerText(),
      new RegExp(`${effective.quota.usage.memory} / ${effective.quota.memory}`),
    );
    assert.match(
      await row("executions").innerText(),
      new RegExp(`${effective.quota.usage.executions} / ${effective.quota.maxConcurrentExecutions}`),
    );
    // Against the project's ceiling too.
    const ceiling = effective.ceilings.find((c: { scope: string }) => c.scope === "project:web");
    assert.match(await row("cpu").innerText(), new RegExp(`${ceiling.usage.cpu} / ${ceiling.cpu}`));
    assert.match(await quota.innerText(), /Ceiling of project web/);
    const defaults = await p.getByRole("region", { name: "Effective defaults" }).innerText();
    assert.match(defaults, /requests\.cpu\s+500m\s+domain:production/);
    assert.match(defaults, /requests\.memory\s+1Gi\s+project:web\/environment:production/);
    const secrets = await p.getByRole("region", { name: "Secret bindings" }).innerText();
    assert.match(secrets, /db-password/);
    assert.match(secrets, /vault:\/\/web\/registry/);
    assert.doesNotMatch(await p.content(), new RegExp(secretCanary));
    const access = await p.getByRole("region", { name: "Access" }).innerText();
    assert.match(access, /team:storefront\s+developer\s+whole project\s+user:ana, user:bo/);
    assert.match(await p.getByRole("region", { name: "Executions" }).innerText(), /now 3, peak 3/);
    const changes = await p.getByRole("region", { name: "Latest changes" }).innerText();
    assert.match(changes, /secret\.create\s+SecretBinding\s+web\/production\/db-password/);
    assert.doesNotMatch(changes, /web\/development|ml\//, "only this environment's entries");
    await p.context().close();
  });

  it("lists the pair's clusters with the sync state each reported, and marks the pair in the matrix", async () => {
    await call(server.url, admin, "POST", "/v1/clusters", { name: "eu-west" });
    await call(server.url, admin, "POST", "/v1/clusters", { name: "us-east" });
    const env = await call(server.url, admin, "GET", "/v1/projects/web/environments/production");
    await call(
      server.url,
      admin,
      "PATCH",
      "/v1/projects/web/environments/production",
      { clusters: ["eu-west", "us-east"] },
      { "if-match": String(env.version) },
    );
    await call(server.url, admin, "PUT", "/v1/clusters/eu-west/environments/web/production/status", {
      phase: "conflict",
      syncedVersion: env.version + 1,
      syncedAt: new Date().toISOString(),
      message: "Secret db-password was made by hand",
      usage: { cpu: "1500m", memory: "2Gi", gpu: "0", storage: "0", executions: 3 },
    });
    const p = await page();
    await signIn(p, server.url, admin);
    await p.goto(`${server.url}/ui/projects/web/environments/production`);
    const clusters = p.getByRole("region", { name: "Clusters" });
    await clusters.locator("table").waitFor();
    const eu = await clusters.locator('tr[data-cluster="eu-west"]').innerText();
    assert.match(eu, /eu-west\s+itself\s+conflict\s+Secret db-password was made by hand/);
    assert.match(eu, /1500m cpu, 2Gi memory/);
    assert.match(await clusters.locator('tr[data-cluster="us-east"]').innerText(), /not reported yet/);
    // The matrix marks the pair with the worst state of its clusters.
    await p.goto(`${server.url}/ui/`);
    await p.getByText("sync conflict (2 clusters)").waitFor();
    await p.context().close();
    const back = await call(server.url, admin, "GET", "/v1/projects/web/environments/production");
    await call(
      server.url,
      admin,
      "PATCH",
      "/v1/projects/web/environments/production",
      { clusters: null },
      { "if-match": String(back.version) },
    );
  });

  it("renders the XSS canary as text and runs nothing of it", async () => {
    const p = await page();
    await signIn(p, server.url, admin);
    await p.goto(`${server.url}/ui/projects/web`);
    const description = p.locator("p.description");
    await description.waitFor();
    assert.equal(await description.innerText(), xssCanary);
    assert.equal(await description.locator("img, script").count(), 0);
    assert.equal(await p.evaluate(() => (globalThis as { __tenancyXss?: number }).__tenancyXss), undefined);
    await p.context().close();
  });

  it("serves every page with a CSP of its own assets only, refusing frames", async () => {
    for (const route of [
      "/ui/",
      "/ui/projects/web",
      "/ui/projects/web/environments/production",
      "/ui/audit",
      "/ui/requests",
    ]) {
      const response = await fetch(`${server.url}${route}`);
      assert.equal(response.status, 200, route);
      const csp = response.headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(csp, /frame-ancestors 'none'/);
      assert.equal(response.headers.get("x-frame-options"), "DENY");
      const html = await response.text();
      assert.doesNotMatch(
        html,
        /<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>|\son\w+=/,
        "no inline script",
      );
      assert.doesNotMatch(html, /https?:\/\//, "nothing from elsewhere");
    }
    // Nothing the page loads comes from anywhere but the server.
    const p = await page();
    const origins = new Set<string>();
    p.on("request", (request) => origins.add(new URL(request.url()).origin));
    await signIn(p, server.url, admin);
    await p.goto(`${server.url}/ui/projects/web/environments/production`);
    await p.getByRole("region", { name: "Quota use" }).waitFor();
    assert.deepEqual([...origins], [server.url]);
    await p.context().close();
  });

  it("pages through the audit log, filtered by kind and project", async () => {
    const p = await page();
    await signIn(p, server.url, admin);
    await p.goto(`${server.url}/ui/audit`);
    await p.getByLabel("Kind").selectOption("SecretBinding");
    await p.getByLabel("Project").fill("web");
    await p.getByRole("button", { name: "Filter" }).click();
    await p.locator("table.audit").getByText("secret.create").first().waitFor();
    const kinds = await p.locator("table.audit tbody tr td:nth-child(4)").allInnerTexts();
    assert.ok(kinds.length === 2 && kinds.every((k) => k === "SecretBinding"), kinds.join());
    await p.context().close();
  });

  it("lets an approver decide a developer's change requests, on the requests page and on the pair's dashboard", async () => {
    const env = "/v1/projects/ml/environments/development";
    const issue = async (name: string) =>
      (await call(server.url, admin, "POST", "/v1/tokens", { name, subject: `user:${name}` }))
        .token as string;
    const dev = await issue("dev");
    const lead = await issue("lead");
    await call(server.url, admin, "POST", "/v1/projects/ml/role-bindings", {
      subject: "user:dev",
      role: "developer",
    });
    await call(server.url, admin, "POST", "/v1/projects/ml/role-bindings", {
      subject: "user:lead",
      role: "viewer",
    });
    const before = await call(server.url, admin, "GET", env);
    await call(
      server.url,
      admin,
      "PATCH",
      env,
      { approval: { approvers: ["user:lead"] } },
      {
        "if-match": String(before.version),
      },
    );
    const secretValue = "approval-secret-value-51d2";
    const secret = await call(server.url, dev, "POST", `${env}/secrets`, {
      name: "api-key",
      value: secretValue,
    });
    assert.match(secret.id, /^cr_/);
    const defaults = await call(server.url, dev, "PUT", `${env}/defaults`, { requests: { cpu: "300m" } });
    assert.match(defaults.id, /^cr_/);

    // Its author may not approve it: the page shows the server's refusal.
    const asDev = await page();
    await signIn(asDev, server.url, dev);
    await asDev.goto(`${server.url}/ui/requests`);
    const own = asDev.locator(`tr[data-request="${secret.id}"]`);
    await own.getByRole("button", { name: "Approve" }).click();
    assert.match(await own.getByRole("alert").innerText(), /forbidden/);
    await asDev.context().close();

    const p = await page();
    const decisions: { cookie?: string; authorization?: string }[] = [];
    p.on("request", (request) => {
      if (request.method() === "POST" && /\/(approve|reject)$/.test(request.url()))
        decisions.push(request.headers());
    });
    await signIn(p, server.url, lead);
    await p.goto(`${server.url}/ui/requests`);
    const row = p.locator(`tr[data-request="${secret.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /value: \(none\) → \(changed\)/);
    assert.doesNotMatch(await p.content(), new RegExp(secretValue));
    await row.getByLabel(`Comment on ${secret.id}`).fill("rotated for the launch");
    await row.getByRole("button", { name: "Approve" }).click();
    // Decided, it leaves the pending list at once; the full list shows it applied.
    await row.waitFor({ state: "detached" });
    await p.getByLabel("Show").selectOption("all");
    assert.match(await p.locator(`tr[data-request="${secret.id}"]`).innerText(), /applied/);
    const applied = await call(server.url, admin, "GET", `/v1/change-requests/${secret.id}`);
    assert.equal(applied.status, "applied");
    assert.deepEqual(
      applied.approvals.map((a: { approver: string; comment?: string }) => [a.approver, a.comment]),
      [["user:lead", "rotated for the launch"]],
    );

    // On the dashboard: the pending defaults change, approved there, and the defaults it sets.
    await p.goto(`${server.url}/ui/projects/ml/environments/development`);
    assert.match(await p.locator("dl.facts").innerText(), /Approval\s+1 of user:lead approve each change/);
    assert.match(await p.getByRole("region", { name: "Secret bindings" }).innerText(), /api-key/);
    const pending = p.getByRole("region", { name: "Pending requests" });
    const waiting = pending.locator(`tr[data-request="${defaults.id}"]`);
    await waiting.waitFor();
    assert.doesNotMatch(await p.getByRole("region", { name: "Effective defaults" }).innerText(), /300m/);
    await waiting.getByRole("button", { name: "Approve" }).click();
    await waiting.waitFor({ state: "detached" });
    await p.getByRole("region", { name: "Effective defaults" }).getByText("300m").waitFor();
    assert.match(await pending.innerText(), /No change request/);
    // Each decision carried the token as a header, and no cookie a forged page could ride on.
    assert.equal(decisions.length, 2);
    for (const headers of decisions) {
      assert.equal(headers.authorization, `Bearer ${lead}`);
      assert.equal(headers.cookie, undefined);
    }
    await p.context().close();
  });

  it("marks a team the directory keeps in the pair's access list", async () => {
    const directory = (
      await call(server.url, admin, "POST", "/v1/tokens", {
        name: "okta",
        subject: "service:okta",
        scim: true,
      })
    ).token as string;
    const user = await call(server.url, directory, "POST", "/scim/v2/Users", {
      userName: "grace@example.com",
    });
    await call(server.url, directory, "POST", "/scim/v2/Groups", {
      displayName: "Web Oncall",
      members: [{ value: user.id }],
    });
    await call(server.url, admin, "POST", "/v1/projects/web/role-bindings", {
      subject: "team:web-oncall",
      role: "viewer",
    });
    const p = await page();
    await signIn(p, server.url, admin);
    await p.goto(`${server.url}/ui/projects/web/environments/production`);
    const access = p.getByRole("region", { name: "Access" });
    await access.getByText("team:web-oncall").waitFor();
    const oncall = await access.locator("tr", { hasText: "team:web-oncall" }).innerText();
    assert.match(oncall, /team:web-oncall\s*directory\s+viewer\s+whole project\s+user:grace@example.com/);
    const storefront = await access.locator("tr", { hasText: "team:storefront" }).innerText();
    assert.doesNotMatch(storefront, /directory/, "a team kept by hand is not marked");
    await p.context().close();
  });

  it("has no serious or critical accessibility violation (axe-core) on any page", async () => {
    const axe = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
    const p = await page();
    await signIn(p, server.url, admin);
    for (const route of [
      "/ui/",
      "/ui/projects/web",
      "/ui/projects/web/environments/production",
      "/ui/audit",
      "/ui/requests",
    ]) {
      await p.goto(`${server.url}${route}`);
      await p.locator("main h1").waitFor();
      await p
        .getByText(/Read at|No entry matches/)
        .first()
        .waitFor();
      // Evaluated through the debugging protocol: the page's own CSP still forbids inline script.
      await p.evaluate(axe);
      const violations = await p.evaluate(async () => {
        const result = await (
          globalThis as unknown as {
            axe: { run(): Promise<{ violations: { id: string; impact: string; help: string }[] }> };
          }
        ).axe.run();
        return result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
      });
      assert.deepEqual(violations, [], `${route}: ${JSON.stringify(violations, null, 2)}`);
    }
    // The sign-in page too.
    const fresh = await page();
    await fresh.goto(`${server.url}/ui/`);
    await fresh.getByLabel("Token").waitFor();
    await fresh.evaluate(axe);
    const signInViolations = await fresh.evaluate(async () =>
      (
        await (
          globalThis as unknown as { axe: { run(): Promise<{ violations: { impact: string }[] }> } }
        ).axe.run()
      ).violations.filter((v) => v.impact === "serious" || v.impact === "critical"),
    );
    assert.deepEqual(signInViolations, []);
    await p.context().close();
    await fresh.context().close();
  });
});
