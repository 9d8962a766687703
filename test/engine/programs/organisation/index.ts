// Declares an organisation from the stack config `org:spec` (see OrgSpec), so each engine test can
// change one thing at a time. Secret values come from the secret config `org:secret-<name>`;
// `org:adopt` true declares every resource with adopt: true.
import * as pulumi from "@pulumi/pulumi";
import * as tenancy from "tenancy";

interface OrgSpec {
  domains: { name: string; tier: "production" | "non-production"; order?: number }[];
  projects: { key: string; name: string; description?: string }[];
  environments: {
    key: string;
    project: string;
    domain: string;
    name?: string;
    protected?: boolean;
    /** Gives `protected` as an Output: enforced by the control plane alone, not by Pulumi's protect. */
    protectedAsOutput?: boolean;
  }[];
  quotas: { environment: string; cpu?: string; memory?: string; maxConcurrentExecutions?: number }[];
  defaults: {
    key: string;
    domain?: string;
    project?: string;
    environment?: string;
    requests?: Record<string, string>;
  }[];
  secrets: { environment: string; name: string; secret?: string; reference?: string }[];
  roles: { project: string; environment?: string; subject: string; role: tenancy.Role }[];
}

const config = new pulumi.Config("org");
const spec = config.requireObject<OrgSpec>("spec");
const adopt = config.getBoolean("adopt") ? { adopt: true } : {};

const domains = new Map(spec.domains.map((d) => [d.name, new tenancy.Domain(d.name, { ...d, ...adopt })]));
const projects = new Map(
  spec.projects.map(({ key, ...args }) => [key, new tenancy.Project(key, { ...args, ...adopt })]),
);
const environments = new Map(
  spec.environments.map(({ key, project, domain, protectedAsOutput, ...args }) => [
    key,
    new tenancy.Environment(key, {
      ...args,
      ...(protectedAsOutput && args.protected !== undefined
        ? { protected: pulumi.output(args.protected) }
        : {}),
      ...adopt,
      project: projects.get(project)!.name,
      domain: domains.get(domain)!.name,
    }),
  ]),
);
const env = (key: string) => environments.get(key)!;

for (const { environment, ...limits } of spec.quotas) {
  new tenancy.Quota(environment, {
    ...limits,
    ...adopt,
    project: env(environment).project,
    environment: env(environment).name,
  });
}
for (const { key, domain, project, environment, requests } of spec.defaults) {
  new tenancy.ResourceDefaults(key, {
    requests,
    ...adopt,
    ...(domain ? { domain: domains.get(domain)!.name } : {}),
    ...(project ? { project: projects.get(project)!.name } : {}),
    ...(environment ? { project: env(environment).project, environment: env(environment).name } : {}),
  });
}
for (const { environment, name, secret, reference } of spec.secrets) {
  new tenancy.SecretBinding(`${environment}-${name}`, {
    project: env(environment).project,
    environment: env(environment).name,
    name,
    ...adopt,
    ...(secret ? { value: config.requireSecret(`secret-${secret}`) } : { reference }),
  });
}
for (const { project, environment, subject, role } of spec.roles) {
  // An environment's binding is named after the environment (its key), so it stays the same resource
  // when the environment moves to another project.
  new tenancy.RoleBinding(`${environment ?? `${project}-all`}-${subject}-${role}`.replace(/:/g, "-"), {
    project: projects.get(project)!.name,
    subject,
    role,
    ...adopt,
    ...(environment ? { environment: env(environment).name } : {}),
  });
}

export const environmentIds = [...environments.values()].map(
  (e) => pulumi.interpolate`${e.project}/${e.name}`,
);
