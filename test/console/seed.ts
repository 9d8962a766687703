// An organisation for the console's tests, made through the API as an org admin: two projects that
// a viewer of `web` must tell apart, an archived one, quotas in use, a ceiling, secrets, a team.
import { strict as assert } from "node:assert";

export const xssCanary = `<img src=x onerror="window.__tenancyXss=1"><script>window.__tenancyXss=2</script>`;
export const secretCanary = "console-secret-value-8c1f";

export async function call(
  url: string,
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
  return parsed;
}

/** Makes the organisation; returns a token that may read project `web` only. */
export async function seedOrganisation(url: string, admin: string): Promise<{ viewer: string }> {
  const post = (path: string, body: unknown) => call(url, admin, "POST", path, body);
  const put = (path: string, body: unknown) => call(url, admin, "PUT", path, body);
  for (const [name, tier, order] of [
    ["development", "non-production", 10],
    ["production", "production", 30],
  ] as const) {
    await post("/v1/domains", { name, tier, order });
  }
  await post("/v1/projects", { name: "web", description: xssCanary, labels: { team: "storefront" } });
  await post("/v1/projects", { name: "ml", description: "models", labels: { team: "research" } });
  await post("/v1/projects", { name: "legacy" });
  for (const project of ["web", "ml", "legacy"]) {
    await post(`/v1/projects/${project}/environments`, { domain: "development" });
  }
  await post("/v1/projects/web/environments", { domain: "production", protected: true });
  await post("/v1/projects/ml/environments", { domain: "production" });
  await call(url, admin, "PATCH", "/v1/projects/legacy", { archived: true }, { "if-match": "1" });
  await put("/v1/projects/web/quota", { cpu: "40" });
  await put("/v1/projects/web/environments/production/quota", {
    cpu: "8",
    memory: "16Gi",
    maxConcurrentExecutions: 10,
  });
  await put("/v1/projects/ml/environments/production/quota", { gpu: "4" });
  for (let i = 0; i < 3; i++) {
    await post("/v1/projects/web/environments/production/reservations", {
      cpu: "1",
      memory: "2Gi",
      executions: 1,
    });
  }
  await post("/v1/projects/ml/environments/production/reservations", { gpu: "3", executions: 2 });
  await put("/v1/domains/production/defaults", { requests: { cpu: "500m" } });
  await put("/v1/projects/web/environments/production/defaults", { requests: { memory: "1Gi" } });
  await post("/v1/projects/web/environments/production/secrets", {
    name: "db-password",
    value: secretCanary,
  });
  await post("/v1/projects/web/environments/production/secrets", {
    name: "registry",
    reference: "vault://web/registry",
  });
  await post("/v1/teams", { name: "storefront", members: ["user:ana", "user:bo"] });
  await post("/v1/projects/web/role-bindings", { subject: "team:storefront", role: "developer" });
  await post("/v1/projects/web/role-bindings", { subject: "user:viewer", role: "viewer" });
  await post("/v1/projects/ml/role-bindings", { subject: "user:ml-lead", role: "admin" });
  const issued = await post("/v1/tokens", { name: "web viewer", subject: "user:viewer" });
  return { viewer: issued.token };
}
