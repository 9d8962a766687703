// The HTTP floors, no tenancy code in either:
// - with BENCH_FLOOR_BODY: Fastify answering every GET with that fixed JSON body, no database and no
//   auth, to show what the machine's HTTP stack and load generator cost on their own;
// - with BENCH_FLOOR_DATABASE_URL and BENCH_FLOOR_SQL: Fastify answering every GET with the first
//   row of that statement, run prepared on a pool of the server's size (node-pg, as the server
//   does), to show what this stack costs for one statement per request before any of tenancy's
//   work (token hashing, the role check, mapping the row, validation).
import Fastify from "fastify";
import { Pool } from "pg";

const app = Fastify({ logger: false });
const databaseUrl = process.env.BENCH_FLOOR_DATABASE_URL;
let pool: Pool | undefined;
if (databaseUrl) {
  const text = process.env.BENCH_FLOOR_SQL;
  if (!text) throw new Error("BENCH_FLOOR_SQL: the statement to answer with is required");
  pool = new Pool({ connectionString: databaseUrl, max: 10 }); // tenancy serve's default
  const database = pool;
  app.get("/*", async (_request, reply) => {
    const result = await database.query({ name: "floor", text });
    return reply.type("application/json").send(JSON.stringify(result.rows[0]));
  });
} else {
  const body = process.env.BENCH_FLOOR_BODY ?? "{}";
  app.get("/*", async (_request, reply) => reply.type("application/json").send(body));
}
void app.listen({ host: "127.0.0.1", port: 0 }).then((address) => {
  process.stdout.write(`tenancy: listening on ${address}\n`);
});
process.on(
  "SIGTERM",
  () =>
    void app
      .close()
      .then(() => pool?.end())
      .then(() => process.exit(0)),
);
