// `tenancy get <kind>` and `tenancy matrix`: what a control plane holds, as tables.
import { orUndefined, type TenancyClient } from "../client";
import { quotaDimensionRegistry, type ManagedBy } from "../model";
import { table } from "./tables";

export const kinds = [
  "domains",
  "clusters",
  "projects",
  "environments",
  "quotas",
  "ceilings",
  "secrets",
  "role-bindings",
  "teams",
  "tokens",
] as const;
export type Kind = (typeof kinds)[number];

/** Who manages an object: `stack/resource-name` of its Pulumi resource, or `(by hand)`. */
function manager(object: { managedBy: ManagedBy | null }): string {
  return object.managedBy
    ? `${object.managedBy.stack}/${object.managedBy.urn.split("::").pop()}`
    : "(by hand)";
}

async function environmentsOf(api: TenancyClient) {
  const projects = await api.projects.list();
  const all = await Promise.all(projects.map((p) => api.environments.list(p.name)));
  return all.flat();
}

export async function get(api: TenancyClient, kind: Kind): Promise<string> {
  switch (kind) {
    case "domains":
      return table(
        ["NAME", "TIER", "ORDER", "VERSION", "MANAGED BY"],
        (await api.domains.list()).map((d) => [
          d.name,
          d.tier,
          String(d.order ?? ""),
          String(d.version),
          manager(d),
        ]),
      );
    case "clusters":
      return table(
        ["NAME", "DISPLAY NAME", "LABELS", "VERSION", "MANAGED BY"],
        (await api.clusters.list()).map((c) => [
          c.name,
          c.displayName ?? "",
          Object.entries(c.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(","),
          String(c.version),
          manager(c),
        ]),
      );
    case "projects":
      return table(
        ["NAME", "DISPLAY NAME", "ARCHIVED", "LABELS", "VERSION", "MANAGED BY"],
        (await api.projects.list()).map((p) => [
          p.name,
          p.displayName ?? "",
          p.archived ? "yes" : "",
          Object.entries(p.labels ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(","),
          String(p.version),
          manager(p),
        ]),
      );
    case "environments":
      return table(
        ["PROJECT", "NAME", "DOMAIN", "PROTECTED", "APPROVAL", "VERSION", "MANAGED BY"],
        (await environmentsOf(api)).map((e) => [
          e.project,
          e.name,
          e.domain,
          e.protected ? "yes" : "",
          e.approval ? `${e.approval.required ?? 1} of ${e.approval.approvers.join(",")}` : "",
          String(e.version),
          manager(e),
        ]),
      );
    case "quotas": {
      const rows: string[][] = [];
      for (const e of await environmentsOf(api)) {
        const q = await orUndefined(api.quotas.get(e.project, e.name));
        if (q) {
          rows.push([
            e.project,
            e.name,
            ...quotaDimensionRegistry.map((d) => String(q[d.field] ?? "")),
            quotaDimensionRegistry.map((d) => `${q.usage[d.usage]} ${d.usage}`).join(", "),
            manager(q),
          ]);
        }
      }
      return table(
        [
          "PROJECT",
          "ENVIRONMENT",
          ...quotaDimensionRegistry.map((d) => d.label.toUpperCase()),
          "IN USE",
          "MANAGED BY",
        ],
        rows,
      );
    }
    case "ceilings": {
      const scopes = [
        ...(await api.projects.list()).map((p) => ({ kind: "project" as const, project: p.name })),
        ...(await api.domains.list()).map((d) => ({ kind: "domain" as const, domain: d.name })),
      ];
      const rows: string[][] = [];
      for (const scope of scopes) {
        const c = await orUndefined(api.ceilings.get(scope));
        if (!c) continue;
        // Each dimension the ceiling sets: live use and what the quotas below add up to, then the limit.
        for (const { field, usage } of quotaDimensionRegistry) {
          const limit = c[field];
          if (limit === undefined) continue;
          rows.push([
            c.scope,
            usage,
            String(c.usage[usage]),
            String(c.allocated[field]),
            String(limit),
            manager(c),
          ]);
        }
      }
      return table(["CEILING", "DIMENSION", "IN USE", "ALLOCATED", "LIMIT", "MANAGED BY"], rows);
    }
    case "teams":
      return table(
        ["NAME", "MEMBERS", "LIST", "VERSION", "MANAGED BY"],
        (await api.teams.list()).map((t) => [
          t.name,
          t.members.join(","),
          t.membersAuthoritative ? "declared" : "by membership",
          String(t.version),
          manager(t),
        ]),
      );
    case "secrets": {
      const rows: string[][] = [];
      for (const e of await environmentsOf(api)) {
        for (const s of await api.secrets.list(e.project, e.name)) {
          rows.push([
            e.project,
            e.name,
            s.name,
            s.kind,
            s.reference ?? "(encrypted value)",
            String(s.valueVersion),
            manager(s),
          ]);
        }
      }
      return table(["PROJECT", "ENVIRONMENT", "NAME", "KIND", "SOURCE", "VALUE VERSION", "MANAGED BY"], rows);
    }
    case "role-bindings": {
      const rows: string[][] = [];
      for (const p of await api.projects.list()) {
        for (const b of await api.roleBindings.list(p.name))
          rows.push([p.name, b.environment ?? "*", b.subject, b.role, b.expiresAt ?? "", b.id, manager(b)]);
      }
      return table(["PROJECT", "ENVIRONMENT", "SUBJECT", "ROLE", "EXPIRES", "ID", "MANAGED BY"], rows);
    }
    case "tokens":
      return table(
        ["ID", "NAME", "SUBJECT", "TEAMS", "ORG ADMIN", "EXPIRES", "REVOKED", "MANAGED BY"],
        (await api.tokens.list()).map((t) => [
          t.id,
          t.name,
          t.subject,
          t.teams.join(","),
          t.orgAdmin ? "yes" : "",
          t.expiresAt ?? "",
          t.revokedAt ?? "",
          manager(t),
        ]),
      );
  }
}

/** Projects as rows, domains as columns: each cell an environment's quota, secret count and roles. */
export async function matrix(api: TenancyClient): Promise<string> {
  const domains = await api.domains.list();
  const projects = await api.projects.list();
  const rows: string[][] = [];
  for (const project of projects) {
    const environments = await api.environments.list(project.name);
    const bindings = await api.roleBindings.list(project.name);
    const cells: string[] = [];
    for (const domain of domains) {
      const parts: string[] = [];
      for (const e of environments.filter((env) => env.domain === domain.name)) {
        const quota = await orUndefined(api.quotas.get(project.name, e.name));
        const secrets = await api.secrets.list(project.name, e.name);
        const roles = bindings.filter((b) => b.environment === undefined || b.environment === e.name).length;
        const limits = quota
          ? [quota.cpu && `${quota.cpu} cpu`, quota.memory, quota.gpu && `${quota.gpu} gpu`]
              .filter(Boolean)
              .join("/")
          : "no quota";
        parts.push(
          `${e.name}${e.protected ? "*" : ""}: ${limits}, ${secrets.length} secrets, ${roles} roles`,
        );
      }
      cells.push(parts.join("; ") || "-");
    }
    rows.push([project.name, ...cells]);
  }
  return table(["PROJECT", ...domains.map((d) => d.name.toUpperCase())], rows) + "(* protected)\n";
}
