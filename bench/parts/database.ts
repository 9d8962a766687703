// The database part: the API's reads and writes against pgbench and the stack floor.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import autocannon from "autocannon";
import { createDatabase, serve } from "../../scripts/harness";
import { createApiClient } from "../../client";
import { createEmbeddedTransport } from "../../provider/embedded";
import { loads, seedLoadOrg, type LoadOrg } from "../api-load";
import { httpFloor, pgbench } from "../floors";
import { median, spread, target } from "../report";
import { adminToken, connectionCounts, databaseReps, secretKey } from "../settings";

async function cannon(
  url: string,
  connections: number,
  options: Partial<autocannon.Options>,
  token = adminToken,
) {
  const result = await autocannon({
    url,
    connections,
    duration: 5,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...options,
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    ok: result["2xx"],
  };
}

/** Fills an environment with `count` live reservations through the API, 16 at a time. */
async function fillReservations(org: LoadOrg, project: string, count: number) {
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next++ < count) {
        const response = await fetch(
          `${org.url}/v1/projects/${project}/environments/production/reservations`,
          {
            method: "POST",
            headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
            body: JSON.stringify({ cpu: "1m" }),
          },
        );
        if (response.status !== 201) throw new Error(`filling ${project}: ${response.status}`);
      }
    }),
  );
}

/** What an admission costs with 10 and with 10,000 live reservations in its environment. */
async function liveReservationsBench(org: LoadOrg, lines: string[]) {
  const rows: string[] = [];
  const rates: number[] = [];
  for (const live of [10, 10_000]) {
    const project = `live${live}`;
    await fetch(`${org.url}/v1/projects`, {
      method: "POST",
      headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: project }),
    });
    for (const [p, body] of [
      [`/v1/projects/${project}/environments`, { domain: "production" }],
      [`/v1/projects/${project}/role-bindings`, { subject: "service:runtime", role: "admin" }],
    ] as const) {
      await fetch(org.url + p, {
        method: "POST",
        headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    }
    await fetch(`${org.url}/v1/projects/${project}/environments/production/quota`, {
      method: "PUT",
      headers: { authorization: `Bearer ${org.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ cpu: "1000000000" }),
    });
    await fillReservations(org, project, live);
    const url = `${org.url}/v1/projects/${project}/environments/production/reservations`;
    const result = await cannon(
      url,
      16,
      { method: "POST", body: JSON.stringify({ cpu: "1m" }), duration: 3 },
      org.runtimeToken,
    );
    rows.push(`| ${live.toLocaleString("en")} | ${result.rps.toFixed(0)} | ${result.p50} / ${result.p99} |`);
    rates.push(result.rps);
  }
  const [few, many] = rates;
  target(
    "admissions with 10,000 live reservations against 10, 16 connections",
    `${many!.toFixed(0)} /s`,
    `${few!.toFixed(0)} /s`,
    many! / few!,
    "the same cost (≥ 0.9×)",
    many! / few! >= 0.9,
  );
  lines.push(
    "Admissions into one environment at 16 connections, by the live reservations it already holds (3 s each):",
    "",
    "| live reservations | admissions/s | p50 / p99 ms |",
    "|---|---|---|",
    ...rows,
    "",
  );
}

/** The same reads through the embedded transport, in process: one caller, one request at a time
 * (PGlite is one connection). */
async function embeddedReads(lines: string[]) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "tenancy-bench-embedded-"));
  const transport = createEmbeddedTransport({ dataDir });
  const client = createApiClient(transport);
  try {
    await client.domains.create({ name: "production", tier: "production" });
    await client.projects.create({ name: "web" });
    await client.environments.create("web", { domain: "production" });
    await client.quotas.put("web", "production", { cpu: "1000" });
    const rows: string[] = [];
    for (const [name, read] of [
      ["read: get environment", () => client.environments.get("web", "production")],
      ["read: effective configuration", () => client.effective.get("web", "production")],
    ] as const) {
      for (let i = 0; i < 200; i++) await read(); // warm up
      const latencies: number[] = [];
      const start = process.hrtime.bigint();
      while (Number(process.hrtime.bigint() - start) < 5e9) {
        const t0 = process.hrtime.bigint();
        await read();
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      latencies.sort((x, y) => x - y);
      const at = (q: number) => latencies[Math.floor(q * (latencies.length - 1))]!.toFixed(2);
      rows.push(`| ${name} | ${(latencies.length / seconds).toFixed(0)} | ${at(0.5)} / ${at(0.99)} |`);
    }
    lines.push(
      "Embedded transport (PGlite in process, requests through the same Fastify app by inject()), one request at a time for 5 s:",
      "",
      "| operation | requests/s | p50 / p99 ms |",
      "|---|---|---|",
      ...rows,
      "",
    );
  } finally {
    await transport.close?.();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function databaseBench(lines: string[]) {
  const dbUrl = await createDatabase();
  const server = await serve(["--database-url", dbUrl, "--rate-limit", "10000000"], {
    TENANCY_BOOTSTRAP_TOKEN: adminToken,
    TENANCY_SECRET_KEY: secretKey,
  });
  try {
    const org = await seedLoadOrg(server.url, adminToken);
    lines.push("## Database: the API against pgbench on the same PostgreSQL", "");
    lines.push(
      `${databaseReps} runs of 5 s per cell, the API's and pgbench's alternating; the median of each, with the range in brackets (the latencies are the median run's). autocannon against \`tenancy serve\` with a runtime's token (a plain token with a role binding: every request authenticates and runs its role check), pgbench running the statements one request needs (bench/api-load.ts), prepared as the server prepares them, in the same transaction shape, directly: the authentication (with the route's read) for one request, one statement per transaction. The server looks up the requests that arrive while its lookups are out in one statement, so under load it sends fewer statements than pgbench runs; pgbench's rate is the database's own for the same work, request by request. pgbench's p50 and p99 come from a tenth of its transactions, sampled into its log.`,
      "",
    );
    lines.push(
      "| operation | connections | API req/s | API p50 / p99 ms | pgbench tps | pgbench mean / p50 / p99 ms | API / pgbench |",
      "|---|---|---|---|---|---|---|",
    );
    let admitted = 0;
    let counted = 0;
    const reservedMilli = async () => {
      const quota = (await (
        await fetch(`${server.url}/v1/projects/web/environments/production/quota`, {
          headers: { authorization: `Bearer ${adminToken}` },
        })
      ).json()) as { usage: { cpu: string } };
      const cpu = quota.usage.cpu;
      return cpu.endsWith("m") ? Number(cpu.slice(0, -1)) : Number(cpu) * 1000;
    };
    const readRates = new Map<number, number>();
    const cells = new Map<string, Cell>();
    const loadList = loads(org);
    const reads = loadList.slice(0, 2);
    for (const load of loadList) {
      // The reads' stack floor runs in the same cells, alternating with the API and pgbench.
      const floor = reads.includes(load)
        ? await httpFloor({ BENCH_FLOOR_DATABASE_URL: dbUrl, BENCH_FLOOR_SQL: load.sql })
        : undefined;
      try {
        for (const connections of connectionCounts) {
          const apiRuns: Awaited<ReturnType<typeof cannon>>[] = [];
          const pgRuns: ReturnType<typeof pgbench>[] = [];
          const floorRuns: number[] = [];
          for (let rep = 0; rep < databaseReps; rep++) {
            const before = load.reservations ? await reservedMilli() : 0;
            await load.reset?.();
            const run = await cannon(
              load.options.url ?? org.url,
              connections,
              load.options,
              org.runtimeToken,
            );
            if (load.reservations) {
              admitted += run.ok;
              counted += (await reservedMilli()) - before;
            }
            apiRuns.push(run);
            pgRuns.push(pgbench(dbUrl, connections, load.sql));
            if (floor) floorRuns.push((await cannon(floor.url, connections, {})).rps);
          }
          // The run of median rate, with its latencies; errors over every run.
          const api = apiRuns.find((run) => run.rps === median(apiRuns.map((r) => r.rps)))!;
          const errors = apiRuns.reduce((sum, run) => sum + run.errors, 0);
          const pg = pgRuns.find((run) => run.tps === median(pgRuns.map((r) => r.tps)))!;
          if (load.name === "read: get environment") readRates.set(connections, api.rps);
          cells.set(`${load.name} ${connections}`, {
            ...api,
            tps: pg.tps,
            pgP99: pg.p99Ms,
            ...(floor ? { floor: { rps: median(floorRuns), range: spread(floorRuns, 0) } } : {}),
          });
          lines.push(
            `| ${load.name} | ${connections} | ${api.rps.toFixed(0)}${errors ? ` (${errors} errors)` : ""} (${spread(
              apiRuns.map((r) => r.rps),
              0,
            )}) | ${api.p50} / ${api.p99} | ${pg.tps.toFixed(0)} (${spread(
              pgRuns.map((r) => r.tps),
              0,
            )}) | ${pg.latencyMs.toFixed(2)} / ${pg.p50Ms.toFixed(1)} / ${pg.p99Ms.toFixed(1)} | ${(api.rps / pg.tps).toFixed(2)} |`,
          );
        }
      } finally {
        floor?.stop();
      }
    }
    // Each run of the contended load may stop with one request in flight per connection.
    const inFlightAtStops = databaseReps * connectionCounts.reduce((sum, c) => sum + c, 0);
    const overCommitHolds = counted >= admitted && counted - admitted <= inFlightAtStops;
    lines.push(
      "",
      `Reservations in the contended environment: ${admitted} admitted (201 answers) during the API runs; the quota's usage grew by ${counted}m cpu over them (1m each); the difference, ${counted - admitted}, must lie between 0 and the ${inFlightAtStops} requests that can be in flight when its ${databaseReps * connectionCounts.length} runs stop (their answers are not counted): ${overCommitHolds ? "it does" : "IT DOES NOT"}. Over-commit under contention is checked by test/api/concurrency.spec.ts (200 concurrent reservations against a limit of 7 admit exactly 7; 1,000 against a ceiling admit exactly 200).`,
      "",
    );
    const [getEnvironment, effective, quotaWrites, contended, spreadLoad] = loadList.map((l) => l.name);
    for (const name of [getEnvironment!, effective!]) {
      for (const connections of [16, 64]) {
        const cell = cells.get(`${name} ${connections}`)!;
        const ratio = cell.rps / cell.tps;
        const p99 = connections === 64 ? `, p99 ${cell.p99} ms` : "";
        target(
          `${name}, ${connections} connections`,
          `${cell.rps.toFixed(0)} req/s${p99}`,
          `${cell.tps.toFixed(0)} tps`,
          ratio,
          connections === 64 ? "≥ 0.5× pgbench, p99 ≤ 25 ms" : "≥ 0.5× pgbench",
          ratio >= 0.5 && (connections !== 64 || cell.p99 <= 25),
        );
      }
    }
    for (const connections of [16, 64]) {
      const cell = cells.get(`${quotaWrites} ${connections}`)!;
      target(
        `${quotaWrites}, ${connections} connections`,
        `${cell.rps.toFixed(0)} req/s, p99 ${cell.p99} ms`,
        `${cell.tps.toFixed(0)} tps, p99 ${cell.pgP99.toFixed(0)} ms`,
        cell.rps / cell.tps,
        "≥ 1,000 req/s, p99 ≤ 50 ms",
        cell.rps >= 1000 && cell.p99 <= 50,
      );
    }
    const spreadCell = cells.get(`${spreadLoad} 64`)!;
    target(
      `${spreadLoad}, 64 connections`,
      `${spreadCell.rps.toFixed(0)} /s`,
      `${spreadCell.tps.toFixed(0)} tps`,
      spreadCell.rps / spreadCell.tps,
      "≥ 1,000 /s",
      spreadCell.rps >= 1000,
    );
    for (const connections of [16, 64]) {
      const cell = cells.get(`${contended} ${connections}`)!;
      target(
        `${contended}, ${connections} connections`,
        `${cell.rps.toFixed(0)} /s`,
        `${cell.tps.toFixed(0)} tps`,
        cell.rps / cell.tps,
        "≥ 0.8× pgbench",
        cell.rps / cell.tps >= 0.8,
      );
    }
    target(
      "over-commit in the contended runs",
      `${admitted} admitted, usage grew by ${counted} (at most ${inFlightAtStops} unanswered in flight)`,
      "",
      undefined,
      "none",
      overCommitHolds,
    );
    await liveReservationsBench(org, lines);
    await embeddedReads(lines);

    // The HTTP floor: the same body as "get environment", from Fastify alone.
    const env = `${server.url}/v1/projects/web/environments/production`;
    const body = await (await fetch(env, { headers: { authorization: `Bearer ${adminToken}` } })).text();
    const floor = await httpFloor({ BENCH_FLOOR_BODY: body });
    try {
      lines.push(
        `HTTP floor: bare Fastify answering the same ${body.length}-byte body with no database or auth, same load generator:`,
        "",
        "| connections | floor req/s | floor p50 / p99 ms | get environment / floor |",
        "|---|---|---|---|",
      );
      for (const connections of connectionCounts) {
        const result = await cannon(floor.url, connections, {});
        const api = readRates.get(connections)!;
        lines.push(
          `| ${connections} | ${result.rps.toFixed(0)} | ${result.p50} / ${result.p99} | ${(api / result.rps).toFixed(2)} |`,
        );
      }
      lines.push("");
    } finally {
      floor.stop();
    }
    stackFloor(lines, reads, cells);
  } finally {
    await server.stop();
  }
}

/** A database cell: the API's median run, pgbench's median rate and, for the reads, the stack floor's. */
type Cell = Awaited<ReturnType<typeof cannon>> & {
  tps: number;
  /** pgbench's p99 latency (ms), from a tenth of its transactions. */
  pgP99: number;
  floor?: { rps: number; range: string };
};

/**
 * The reads on the stack's own floor: Fastify and node-pg answering each request with the row of
 * the statement that reads one request's token, bindings and object (prepared, on a pool of the
 * server's size), one statement per request, nothing else: what no server on this stack that sends
 * a statement per request can beat on the same cores as PostgreSQL and the load generator.
 */
function stackFloor(lines: string[], reads: ReturnType<typeof loads>, cells: Map<string, Cell>) {
  lines.push(
    `Stack floor: Fastify and node-pg (prepared, a pool of 10 as \`tenancy serve\`) answering each request with the row of the statement that reads one request's token, bindings and object, one statement per request, and nothing else (no token hashing, role check, row mapping or validation, and no batching); same load generator, same PostgreSQL, run in the cells above after the API and pgbench (median of ${databaseReps}, range in brackets):`,
    "",
    "| operation | connections | stack floor req/s | floor / pgbench | tenancy / floor |",
    "|---|---|---|---|---|",
  );
  for (const read of reads) {
    for (const connections of connectionCounts) {
      const cell = cells.get(`${read.name} ${connections}`)!;
      const floor = cell.floor!;
      lines.push(
        `| ${read.name} | ${connections} | ${floor.rps.toFixed(0)} (${floor.range}) | ${(floor.rps / cell.tps).toFixed(2)} | ${(cell.rps / floor.rps).toFixed(2)} |`,
      );
    }
  }
  lines.push("");
}
