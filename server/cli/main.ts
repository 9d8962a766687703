#!/usr/bin/env node
// `tenancy`: run the control plane and talk to it.
import { Command, InvalidArgumentError } from "commander";
import { startServer } from "../server";

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("a port is 0-65535");
  return n;
}

const program = new Command("tenancy").description(
  "Projects, domains and environments as code: the control plane",
);

program
  .command("serve")
  .description("run the control plane over HTTP")
  .option("--data <dir>", "PGlite data folder (the embedded store), and the key file's folder", ".tenancy")
  .option("--database-url <url>", "PostgreSQL connection string, instead of --data")
  .option("--host <host>", "address to listen on", "127.0.0.1")
  .option("--port <port>", "port to listen on (0: any free port)", port, 7420)
  .option("--rate-limit <n>", "requests per token per minute", (v) => port(v), 6000)
  .action(
    async (opts: { data: string; databaseUrl?: string; host: string; port: number; rateLimit: number }) => {
      const server = await startServer({
        store: opts.databaseUrl
          ? { kind: "postgres", url: opts.databaseUrl }
          : { kind: "pglite", dataDir: opts.data },
        host: opts.host,
        port: opts.port,
        rateLimit: { max: opts.rateLimit, timeWindowMs: 60_000 },
        keyDir: opts.data,
      });
      if (server.bootstrapToken) {
        process.stdout.write(
          `tenancy: bootstrap org admin token (shown once, keep it safe): ${server.bootstrapToken}\n`,
        );
      }
      process.stdout.write(`tenancy: listening on ${server.url}\n`);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        process.stdout.write(`tenancy: ${signal}, finishing requests in flight and stopping\n`);
        server.close().then(
          () => process.exit(0),
          (err: Error) => {
            process.stderr.write(`tenancy: stopping failed: ${err.message}\n`);
            process.exit(1);
          },
        );
      };
      process.on("SIGTERM", () => stop("SIGTERM"));
      process.on("SIGINT", () => stop("SIGINT"));
    },
  );

program.parseAsync(process.argv).catch((err: Error) => {
  process.stderr.write(`tenancy: ${err.message}\n`);
  process.exit(1);
});
