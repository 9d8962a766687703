// npm run bench:console: how long the console's matrix takes to render for the bench's organisation
// (N=100: 100 projects × 3 domains, each environment with a quota, defaults, two secret bindings and
// two role bindings, as bench/program declares it), made through the API rather than `pulumi up`
// (the page reads the same rows either way), with a live reservation in every third environment.
// Measured in Debian's chromium against `tenancy serve` over PGlite: from navigation to the last
// row of the matrix in the DOM, signed in already. Writes bench/CONSOLE.md.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { launchBrowser, repoRoot, serve } from "../scripts/harness";

const projects = Number(process.env.TENANCY_BENCH_CONSOLE_PROJECTS ?? 100);
const repetitions = 10;
const token = "tnc_bench_console_admin_0123456789abcdef";

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-bench-console-"));
  const server = await serve(["--data", dataDir, "--rate-limit", "1000000"], {
    TENANCY_BOOTSTRAP_TOKEN: token,
  });
  try {
    const send = async (method: string, route: string, body: unknown) => {
      const response = await fetch(`${server.url}${route}`, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${route}: ${response.status} ${await response.text()}`);
    };
    const domains = ["development", "staging", "production"];
    for (const [i, name] of domains.entries()) {
      await send("POST", "/v1/domains", {
        name,
        tier: name === "production" ? "production" : "non-production",
        order: (i + 1) * 10,
      });
    }
    let index = 0;
    for (let p = 0; p < projects; p++) {
      const project = `project-${p}`;
      await send("POST", "/v1/projects", { name: project });
      for (const domain of domains) {
        const env = `/v1/projects/${project}/environments/${domain}`;
        await send("POST", `/v1/projects/${project}/environments`, { domain });
        await send("PUT", `${env}/quota`, { cpu: "8", memory: "16Gi", maxConcurrentExecutions: 10 });
        await send("PUT", `${env}/defaults`, { requests: { cpu: "500m", memory: "1Gi" } });
        for (const name of ["db", "api"]) {
          await send("POST", `${env}/secrets`, { name, reference: `vault://${project}-${domain}/${name}` });
        }
        await send("POST", `/v1/projects/${project}/role-bindings`, {
          environment: domain,
          subject: "team:dev",
          role: "developer",
        });
        await send("POST", `/v1/projects/${project}/role-bindings`, {
          environment: domain,
          subject: "service:ci",
          role: "contributor",
        });
        if (index++ % 3 === 0) await send("POST", `${env}/reservations`, { cpu: "2", executions: 1 });
      }
    }

    const browser = await launchBrowser();
    const timings: number[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
      await page.goto(`${server.url}/ui/`);
      await page.evaluate((t) => sessionStorage.setItem("tenancy.token", t), token);
      const lastRow = `tr[data-project="project-${projects - 1}"] td[data-domain="production"] .env`;
      for (let r = 0; r < repetitions + 1; r++) {
        const started = performance.now();
        await page.goto(`${server.url}/ui/`);
        await page.locator(lastRow).waitFor();
        const elapsed = performance.now() - started;
        const rows = await page.locator("tbody tr").count();
        if (rows !== projects) throw new Error(`the matrix shows ${rows} projects, not ${projects}`);
        if (r > 0) timings.push(elapsed); // the first load warms the server's and the browser's caches
      }
      const size = await (
        await fetch(`${server.url}/v1/console/matrix`, {
          headers: { authorization: `Bearer ${token}` },
        }).then((res) => res.arrayBuffer())
      ).byteLength;
      timings.sort((a, b) => a - b);
      const median = timings[Math.floor(timings.length / 2)]!;
      const worst = timings.at(-1)!;
      const report = [
        "# Console bench",
        "",
        "`npm run bench:console` (bench/console.ts). The matrix of the bench organisation, N=" +
          `${projects}: ${projects} projects × 3 domains (${projects * 3} environments, each with a quota, defaults, two ` +
          "secret bindings and two role bindings; a live reservation in every third), made through the API, served by " +
          "`tenancy serve` over PGlite, rendered by Debian's chromium (headless) on this machine " +
          `(${os.cpus().length} cores, ${os.cpus()[0]?.model ?? "unknown CPU"}).`,
        "",
        "Time from navigation to the matrix's last cell in the page, signed in, after one warm-up load; the page makes one " +
          `API request (${(size / 1024).toFixed(0)} KiB).`,
        "",
        "| loads | median | slowest | target |",
        "|---|---|---|---|",
        `| ${timings.length} | ${median.toFixed(0)} ms | ${worst.toFixed(0)} ms | < 1000 ms |`,
        "",
      ].join("\n");
      fs.writeFileSync(path.join(repoRoot, "bench/CONSOLE.md"), report);
      process.stdout.write(report);
    } finally {
      await browser.close();
    }
  } finally {
    await server.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
