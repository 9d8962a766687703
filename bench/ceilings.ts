// `npm run bench:ceilings`: reservation throughput with quota ceilings in place against the same
// load without them, on `tenancy serve` over PostgreSQL, written to bench/CEILINGS.md.
// Cells: one contended environment, and reservations spread over 16 environments of one project;
// each with the live reservations cleared first, and again with 10,000 live reservations already in
// the project. Without and with ceilings (a project ceiling and a domain ceiling, high enough to
// admit everything) alternate, BENCH_REPS times (default 3), 5 s per run at 64 connections.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import { Client } from "pg";
import { createDatabase, repoRoot, serve, startPostgresCluster } from "../scripts/harness";

const adminToken = `tny_bench-${randomBytes(16).toString("hex")}`;
const reps = Number(process.env.BENCH_REPS ?? 3);
const connections = 64;
const environments = Array.from({ length: 16 }, (_, i) => `e${String(i + 1).padStart(2, "0")}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-bench-ceilings-"));
  fs.chmodSync(work, 0o755);
  const cluster = await startPostgresCluster(path.join(work, "pgdata"));
  const dbUrl = await createDatabase(cluster.url);
  const server = await serve(["--database-url", dbUrl, "--rate-limit", "10000000"], {
    TENANCY_BOOTSTRAP_TOKEN: adminToken,
    TENANCY_SECRET_KEY: randomBytes(32).toString("base64"),
  });
  const db = new Client({ connectionString: dbUrl });
  await db.connect();
  const call = async (method: string, url: string, body?: unknown, ifMatch?: number) => {
    const response = await fetch(server.url + url, {
      method,
      headers: {
        authorization: `Bearer ${adminToken}`,
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(ifMatch === undefined ? {} : { "if-match": String(ifMatch) }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok) throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
    return response.status === 204 ? undefined : ((await response.json()) as { version: number });
  };
  try {
    await call("POST", "/v1/domains", { name: "production", tier: "production" });
    await call("POST", "/v1/projects", { name: "web" });
    for (const name of environments) {
      await call("POST", "/v1/projects/web/environments", { name, domain: "production" });
    }
    const ceilings = { on: false };
    const setCeilings = async (on: boolean) => {
      if (on === ceilings.on) return;
      for (const url of ["/v1/projects/web/quota", "/v1/domains/production/quota"]) {
        if (on) await call("PUT", url, { cpu: "1000000", maxConcurrentExecutions: 1_000_000 });
        else await call("DELETE", url, undefined, ((await call("GET", url)) as { version: number }).version);
      }
      ceilings.on = on;
    };
    /** Clears the live reservations, then leaves `live` of them spread over the environments. */
    const prefill = async (live: number) => {
      await db.query("delete from reservations");
      if (live === 0) return;
      await db.query(
        `insert into reservations (id, project, environment, cpu_milli, executions, actor)
         select 'rsv_fill_' || g, 'web', 'e' || lpad(((g % 16) + 1)::text, 2, '0'), 1, 1, 'bench'
         from generate_series(1, $1) g`,
        [live],
      );
      await db.query("analyze reservations");
    };
    const run = async (spread: boolean) => {
      const result = await autocannon({
        url: server.url,
        connections,
        duration: 5,
        requests: [
          {
            method: "POST",
            headers: { authorization: `Bearer ${adminToken}`, "content-type": "application/json" },
            body: JSON.stringify({ cpu: "1m", executions: 1 }),
            setupRequest: (request) => {
              const env = spread ? environments[Math.floor(Math.random() * environments.length)] : "e01";
              return { ...request, path: `/v1/projects/web/environments/${env}/reservations` };
            },
          },
        ],
      });
      return { rps: result.requests.average, p99: result.latency.p99, errors: result.errors + result.non2xx };
    };

    const cells = [
      { name: "one contended environment", spread: false, live: 0 },
      { name: "spread over 16 environments", spread: true, live: 0 },
      { name: "one contended environment, 10,000 live", spread: false, live: 10_000 },
      { name: "spread over 16 environments, 10,000 live", spread: true, live: 10_000 },
    ];
    const lines = [
      "# Reservations with quota ceilings",
      "",
      `Recorded ${new Date().toISOString()} by \`npm run bench:ceilings\` (BENCH_REPS=${reps}) on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB; \`tenancy serve\` over PostgreSQL 15 and autocannon on the same machine, ${connections} connections, 5 s per run. Without and with ceilings (on the project and on the domain, high enough to admit everything) alternate; the table gives medians (and the per-pair ratios' range).`,
      "",
      "| load | without ceilings req/s (p99 ms) | with ceilings req/s (p99 ms) | with / without |",
      "|---|---|---|---|",
    ];
    for (const cell of cells) {
      const without: number[] = [];
      const withCeilings: number[] = [];
      const p99 = { without: [] as number[], with: [] as number[] };
      const ratios: number[] = [];
      let errors = 0;
      for (let rep = 0; rep < reps; rep++) {
        for (const on of [false, true]) {
          await setCeilings(on);
          await prefill(cell.live);
          const result = await run(cell.spread);
          errors += result.errors;
          (on ? withCeilings : without).push(result.rps);
          p99[on ? "with" : "without"].push(result.p99);
        }
        ratios.push(withCeilings[rep]! / without[rep]!);
      }
      lines.push(
        `| ${cell.name} | ${median(without).toFixed(0)} (${median(p99.without)}) | ${median(withCeilings).toFixed(0)} (${median(p99.with)}) | ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})${errors ? `, ${errors} errors` : ""} |`,
      );
      console.log(lines.at(-1));
    }
    lines.push(
      "",
      "An admission under a ceiling locks the ceilings after its environment and raises their running totals in the same statement (with the admissions into that environment that arrived together, judged in turn); every admission below one ceiling then waits for the previous statement's commit on that row. See bench/README.md for how this reads against the target.",
      "",
    );
    fs.writeFileSync(path.join(repoRoot, "bench/CEILINGS.md"), lines.join("\n"));
  } finally {
    await db.end();
    await server.stop();
    cluster.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
