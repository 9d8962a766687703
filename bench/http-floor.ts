// The HTTP floor: Fastify answering every GET with a fixed JSON body, no database and no auth, to
// show what the machine's HTTP stack and load generator cost on their own.
import Fastify from "fastify";

const body = process.env.BENCH_FLOOR_BODY ?? "{}";
const app = Fastify({ logger: false });
app.get("/*", async (_request, reply) => reply.type("application/json").send(body));
void app.listen({ host: "127.0.0.1", port: 0 }).then((address) => {
  process.stdout.write(`tenancy: listening on ${address}\n`);
});
process.on("SIGTERM", () => void app.close().then(() => process.exit(0)));
