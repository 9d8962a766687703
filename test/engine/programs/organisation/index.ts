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
    approval?: { approvers: string[]; required?: number };
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
  teams?: { name: string; members?: string[] }[];
  /** Additive memberships: TeamMember resources. */
  memberships?: { team: string; subject: string }[];
  tokens?: {
    name: string;
    subject: string;
    teams?: string[];
    orgAdmin?: boolean;
    expiresIn?: string;
    rotateBefore?: string;
  }[];
  /** Project and domain ceilings: Quotas with one scope. */
  ceilings?: { project?: string; domain?: string; cpu?: string; gpu?: string }[];
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

// Ceilings first: an environment's quota depends on the ceilings above it, so a ceiling raised in
// the same run as the quotas under it is raised before they are written.
const ceilings = (spec.ceilings ?? []).map(({ project, domain, ...limits }) => ({
  project,
  domain,
  resource: new tenancy.Quota(project ? `project-${project}` : `domain-${domain}`, {
    ...limits,
    ...adopt,
    ...(project ? { project: projects.get(project)!.name } : { domain: domains.get(domain!)!.name }),
  }),
}));
for (const { environment, ...limits } of spec.quotas) {
  const { project, domain } = spec.environments.find((e) => e.key === environment)!;
  const above = ceilings.filter((c) => c.project === project || c.domain === domain).map((c) => c.resource);
  new tenancy.Quota(
    environment,
    {
      ...limits,
      ...adopt,
      project: env(environment).project,
      environment: env(environment).name,
    },
    { dependsOn: above },
  );
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

const teams = new Map((spec.teams ?? []).map((t) => [t.name, new tenancy.Team(t.name, { ...t, ...adopt })]));
for (const { team, subject } of spec.memberships ?? []) {
  new tenancy.TeamMember(`${team}-${subject.replace(/:/g, "-")}`, {
    team: teams.get(team)?.name ?? team,
    subject,
    ...adopt,
  });
}
const tokens = (spec.tokens ?? []).map((t) => new tenancy.ApiToken(t.name, t));

/** Each token's value, by name: what a pipeline reading the stack's outputs gets. */
export const tokenValues = pulumi
  .all(tokens.map((t) => pulumi.all([t.name, t.token])))
  .apply((pairs) => Object.fromEntries(pairs));

/** The token named `pipeline`, if declared: what the GitOps pipeline runs with. */
export const pipelineToken = tokens.find((_token, i) => spec.tokens![i]!.name === "pipeline")?.token;

export const environmentIds = [...environments.values()].map(
  (e) => pulumi.interpolate`${e.project}/${e.name}`,
);
