// Shared set-up and assertions of the api suites.
import { strict as assert } from "node:assert";
import type { TestServer } from "./server";

/** Three domains and a project `web` with a development and a production environment. */
export async function seed(server: TestServer) {
  for (const [name, tier, order] of [
    ["development", "non-production", 10],
    ["staging", "non-production", 20],
    ["production", "production", 30],
  ] as const) {
    assert.equal((await server.request("POST", "/v1/domains", { body: { name, tier, order } })).status, 201);
  }
  assert.equal((await server.request("POST", "/v1/projects", { body: { name: "web" } })).status, 201);
  for (const domain of ["development", "production"]) {
    const created = await server.request("POST", "/v1/projects/web/environments", { body: { domain } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  }
}

export function assertProblem(
  response: { status: number; headers: Headers; body: any },
  status: number,
  code: string,
) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.match(response.headers.get("content-type") ?? "", /^application\/problem\+json/);
  assert.equal(response.body.code, code);
  assert.equal(typeof response.body.detail, "string");
}
