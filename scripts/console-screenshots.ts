// The README's screenshots of the console, from the example organisation after the main job:
// serves .tenancy/store, admits and releases a few reservations in web/production so that its
// dashboard shows use and a chart, and saves the matrix and that dashboard as PNG files in docs/.
// Run: npx tsx scripts/console-screenshots.ts (after bash scripts/main-job.sh).
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { launchBrowser, repoRoot, serve, signIn } from "./harness";

async function main() {
  const env = {
    ...process.env,
    PULUMI_BACKEND_URL: `file://${path.join(repoRoot, ".tenancy/state")}`,
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "tenancy-example",
  };
  const token = execFileSync(
    "pulumi",
    ["stack", "output", "pipelineToken", "--show-secrets", "--stack", "dev"],
    {
      cwd: repoRoot,
      env,
      encoding: "utf8",
    },
  ).trim();
  const server = await serve(["--data", path.join(repoRoot, ".tenancy/store")], {});
  try {
    const reservations = `${server.url}/v1/projects/web/environments/production/reservations`;
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json" };
    const held: string[] = [];
    for (const cpu of ["4", "2", "6", "1"]) {
      const response = await fetch(reservations, {
        method: "POST",
        headers,
        body: JSON.stringify({ cpu, memory: `${Number(cpu) * 2}Gi`, executions: 2 }),
      });
      if (!response.ok) throw new Error(`reservation: ${response.status} ${await response.text()}`);
      held.push(((await response.json()) as { id: string }).id);
    }
    await fetch(`${reservations}/${held.shift()}`, { method: "DELETE", headers });

    const browser = await launchBrowser();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await signIn(page, server.url, token);
      await page.screenshot({ path: path.join(repoRoot, "docs/console-matrix.png"), fullPage: true });
      await page.goto(`${server.url}/ui/projects/web/environments/production`);
      await page.getByText(/^Read at/).waitFor();
      await page.locator("figure.chart canvas").waitFor();
      await page.screenshot({ path: path.join(repoRoot, "docs/console-pair.png"), fullPage: true });
    } finally {
      await browser.close();
    }
    // Back as it was: the example's reservations are released.
    for (const id of held) await fetch(`${reservations}/${id}`, { method: "DELETE", headers });
  } finally {
    await server.stop();
  }
  console.log("tenancy: wrote docs/console-matrix.png and docs/console-pair.png");
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
