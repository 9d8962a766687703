// The organisation the provider engine tests declare (test/engine/programs/organisation), and how
// to read back what the control plane holds.
import { createClient, type ClientOptions } from "../../provider/connect";
import type { TestStack } from "../../scripts/harness";
import { startTestServer, type TestServer } from "../api/server";

export const canary = "canary-db-password-8d2f61c4";

export function baseSpec() {
  return {
    domains: [
      { name: "development", tier: "non-production", order: 10 },
      { name: "staging", tier: "non-production", order: 20 },
      { name: "production", tier: "production", order: 30 },
    ],
    projects: [
      { key: "web", name: "web" },
      { key: "ml", name: "ml" },
      { key: "acme", name: "acme", description: "client delivery" },
    ],
    environments: [
      { key: "web-dev", project: "web", domain: "development" },
      { key: "web-prod", project: "web", domain: "production" },
      { key: "ml-dev", project: "ml", domain: "development" },
      { key: "ml-prod", project: "ml", domain: "production" },
      { key: "acme-dev", project: "acme", domain: "development" },
      { key: "acme-prod", project: "acme", domain: "production", name: "acme-prod" },
      { key: "acme-trial", project: "acme", domain: "staging", name: "acme-trial" },
    ] as {
      key: string;
      project: string;
      domain: string;
      name?: string;
      protected?: boolean;
      protectedAsOutput?: boolean;
      approval?: { approvers: string[]; required?: number };
    }[],
    quotas: [
      { environment: "web-prod", cpu: "8", memory: "16Gi", maxConcurrentExecutions: 20 },
      { environment: "ml-prod", cpu: "32", memory: "128Gi" },
      { environment: "acme-prod", cpu: "4" },
    ],
    defaults: [
      { key: "production-defaults", domain: "production", requests: { cpu: "500m", memory: "1Gi" } },
      { key: "ml-defaults", project: "ml", requests: { memory: "4Gi" } },
      { key: "web-prod-defaults", environment: "web-prod", requests: { cpu: "1" } },
    ],
    secrets: [
      { environment: "web-prod", name: "db-password", secret: "db" },
      { environment: "ml-dev", name: "registry", reference: "vault://ml/registry" },
    ],
    roles: [
      { project: "web", subject: "team:storefront", role: "developer" },
      { project: "ml", environment: "ml-prod", subject: "team:ml-ops", role: "admin" },
      { project: "acme", subject: "service:ci", role: "contributor" },
    ],
  };
}

/** Everything the control plane holds, in a comparable shape. */
export async function snapshot(options: ClientOptions) {
  const api = createClient(options);
  try {
    const domains = (await api.domains.list()).map((d) => `${d.name}:${d.tier}`).sort();
    const environments: string[] = [];
    const quotas: string[] = [];
    const secrets: string[] = [];
    const roles: string[] = [];
    const defaults: string[] = [];
    const projects = (await api.projects.list()).map((p) => p.name).sort();
    for (const project of projects) {
      for (const b of await api.roleBindings.list(project))
        roles.push(`${project}/${b.environment ?? "*"}/${b.subject}/${b.role}`);
      for (const e of await api.environments.list(project)) {
        environments.push(`${project}/${e.name}:${e.domain}${e.protected ? ":protected" : ""}`);
        const quota = await api.quotas.get(project, e.name).catch(() => undefined);
        if (quota) quotas.push(`${project}/${e.name}:cpu=${quota.cpu ?? "-"}`);
        for (const s of await api.secrets.list(project, e.name))
          secrets.push(`${project}/${e.name}/${s.name}:${s.kind}`);
        const scope = { kind: "environment" as const, project, environment: e.name };
        if (await api.defaults.get(scope).catch(() => undefined)) defaults.push(`${project}/${e.name}`);
      }
    }
    const ceilings: string[] = [];
    for (const scope of [
      ...projects.map((project) => ({ kind: "project" as const, project })),
      ...domains.map((d) => ({ kind: "domain" as const, domain: d.split(":")[0]! })),
    ]) {
      const c = await api.ceilings.get(scope).catch(() => undefined);
      if (c) ceilings.push(`${c.scope}:cpu=${c.cpu ?? "-"}:gpu=${c.gpu ?? "-"}`);
    }
    const teams = (await api.teams.list()).map(
      (t) => `${t.name}:${t.members.join(",")}${t.membersAuthoritative ? ":declared" : ""}`,
    );
    return {
      domains,
      projects,
      ceilings,
      teams,
      environments: environments.sort(),
      quotas: quotas.sort(),
      secrets: secrets.sort(),
      roles: roles.sort(),
      defaults: defaults.sort(),
    };
  } finally {
    await api.close();
  }
}

/** Declares `spec` as the stack's organisation (the program reads it from `org:spec`). */
export async function declare(stack: TestStack, spec: ReturnType<typeof baseSpec> & Record<string, unknown>) {
  await stack.pulumiOk(["config", "set", "org:spec", JSON.stringify(spec)]);
}

/** The transports the engine tests run over: the embedded store, and HTTP to a server on PostgreSQL. */
export const transports = [
  { name: "embedded", http: false },
  { name: "http + postgres", http: true },
] as const;

/** Points the stack at its own embedded store, or at `server`; returns the options to read it with. */
export async function connect(stack: TestStack, server: { url: string } | undefined, token: string) {
  if (server) {
    await stack.pulumiOk(["config", "set", "tenancy:endpoint", server.url]);
    await stack.pulumiOk(["config", "set", "--secret", "tenancy:token"], { input: token });
    return { endpoint: server.url, token };
  }
  const endpoint = `file://${stack.root}/store`;
  await stack.pulumiOk(["config", "set", "tenancy:endpoint", endpoint]);
  return { endpoint };
}

/** Declares a suite once per transport; `body` gets the transport and the server (none: embedded). */
export function describeOnTransports(
  title: string,
  body: (transport: (typeof transports)[number], server: () => TestServer | undefined) => void,
) {
  for (const transport of transports) {
    describe(`${title} (${transport.name})`, function () {
      this.timeout(900_000);
      let server: TestServer | undefined;
      before(async () => {
        if (transport.http) server = await startTestServer("postgres");
      });
      after(async () => server?.close());
      body(transport, () => server);
    });
  }
}
