// The example organisation: three stages, three projects (a web shop, an ML platform and a client
// delivery with its own acme-prod environment), and everything each environment needs.
import * as pulumi from "@pulumi/pulumi";
import * as tenancy from "tenancy";

const config = new pulumi.Config();

// The Kubernetes cluster `tenancy sync --cluster local` keeps in step: development and production
// run there (staging is placed nowhere yet).
const local = new tenancy.Cluster("local", { name: "local", description: "the team's own cluster" });
const development = new tenancy.Domain("development", {
  name: "development",
  tier: "non-production",
  order: 10,
  clusters: [local.name],
});
const staging = new tenancy.Domain("staging", { name: "staging", tier: "non-production", order: 20 });
const production = new tenancy.Domain("production", {
  name: "production",
  tier: "production",
  order: 30,
  clusters: [local.name],
});

const web = new tenancy.Project("web", {
  name: "web",
  displayName: "Web shop",
  labels: { team: "storefront" },
});
const ml = new tenancy.Project("ml-platform", {
  name: "ml-platform",
  displayName: "ML platform",
  labels: { team: "ml" },
});
const acme = new tenancy.Project("acme", {
  name: "acme",
  displayName: "Acme Corp delivery",
  labels: { client: "acme" },
});

// Org-wide defaults per stage, refined per project and environment below.
new tenancy.ResourceDefaults("development-defaults", {
  domain: development.name,
  requests: { cpu: "250m", memory: "512Mi" },
  limits: { cpu: "1", memory: "2Gi" },
});
new tenancy.ResourceDefaults("production-defaults", {
  domain: production.name,
  requests: { cpu: "500m", memory: "1Gi" },
  limits: { cpu: "2", memory: "4Gi" },
});
new tenancy.ResourceDefaults("ml-platform-defaults", {
  project: ml.name,
  requests: { memory: "4Gi" },
  limits: { memory: "16Gi", gpu: 1 },
});

interface Stage {
  key: string;
  project: tenancy.Project;
  domain: tenancy.Domain;
  name?: string;
  production: boolean;
  quota: Omit<tenancy.QuotaArgs, "project" | "environment">;
}

const stages: Stage[] = [
  {
    key: "web-development",
    project: web,
    domain: development,
    production: false,
    quota: { cpu: 8, memory: "16Gi", maxConcurrentExecutions: 10 },
  },
  {
    key: "web-staging",
    project: web,
    domain: staging,
    production: false,
    quota: { cpu: 8, memory: "16Gi", maxConcurrentExecutions: 10 },
  },
  {
    key: "web-production",
    project: web,
    domain: production,
    production: true,
    quota: { cpu: 32, memory: "64Gi", maxConcurrentExecutions: 50 },
  },
  {
    key: "ml-development",
    project: ml,
    domain: development,
    production: false,
    quota: { cpu: 16, memory: "64Gi", gpu: 2 },
  },
  {
    key: "ml-production",
    project: ml,
    domain: production,
    production: true,
    quota: { cpu: 64, memory: "256Gi", gpu: 8, maxConcurrentExecutions: 20 },
  },
  {
    key: "acme-development",
    project: acme,
    domain: development,
    production: false,
    quota: { cpu: 4, memory: "8Gi" },
  },
  {
    key: "acme-prod",
    project: acme,
    domain: production,
    name: "acme-prod",
    production: true,
    quota: { cpu: 8, memory: "16Gi", maxConcurrentExecutions: 5 },
  },
];

// Ceilings: all of production may use 128 CPUs and 8 GPUs, the web shop 48 CPUs and 96Gi across its
// stages. The quotas below may not add up to more, and reservations are admitted only while every
// ceiling above them holds. Each quota depends on its ceilings, so a ceiling raised together with
// the quotas under it is raised first.
const productionCeiling = new tenancy.Quota("production-ceiling", {
  domain: production.name,
  cpu: 128,
  gpu: 8,
});
const webCeiling = new tenancy.Quota("web-ceiling", { project: web.name, cpu: 48, memory: "96Gi" });
const ceilingsAbove = (stage: Stage) => [
  ...(stage.domain === production ? [productionCeiling] : []),
  ...(stage.project === web ? [webCeiling] : []),
];

const environments = new Map<string, tenancy.Environment>();
for (const stage of stages) {
  const environment = new tenancy.Environment(stage.key, {
    project: stage.project.name,
    domain: stage.domain.name,
    ...(stage.name ? { name: stage.name } : {}),
    protected: stage.production,
    // Production changes by anyone but the SRE team wait for one of its members' approval.
    ...(stage.production ? { approval: { approvers: ["team:sre"] } } : {}),
  });
  environments.set(stage.key, environment);
  new tenancy.Quota(
    stage.key,
    { project: environment.project, environment: environment.name, ...stage.quota },
    { dependsOn: ceilingsAbove(stage) },
  );
}
const env = (key: string) => environments.get(key)!;

// A heavier default for the ML production environment only.
new tenancy.ResourceDefaults("ml-production-defaults", {
  project: env("ml-production").project,
  environment: env("ml-production").name,
  requests: { cpu: "2", memory: "8Gi" },
});

// Secret values come from the stack's own secrets; references point at the external store.
const secrets: { key: string; name: string; value?: pulumi.Output<string>; reference?: string }[] = [
  { key: "web-development", name: "db-password", value: config.requireSecret("webDevDbPassword") },
  { key: "web-production", name: "db-password", value: config.requireSecret("webProdDbPassword") },
  { key: "web-production", name: "stripe-key", reference: "vault://web/production/stripe" },
  { key: "ml-production", name: "registry-token", reference: "aws-sm://ml-platform/production/registry" },
  { key: "ml-development", name: "registry-token", reference: "aws-sm://ml-platform/development/registry" },
  { key: "acme-prod", name: "sftp-key", reference: "vault://acme/prod/sftp" },
];
for (const s of secrets) {
  new tenancy.SecretBinding(`${s.key}-${s.name}`, {
    project: env(s.key).project,
    environment: env(s.key).name,
    name: s.name,
    ...(s.value ? { value: s.value } : { reference: s.reference! }),
  });
}

// Access through teams and the CI service, never individual users.
const roles: {
  key: string;
  project: tenancy.Project;
  environment?: string;
  subject: string;
  role: tenancy.Role;
}[] = [
  { key: "web-storefront", project: web, subject: "team:storefront", role: "developer" },
  {
    key: "web-sre-production",
    project: web,
    environment: "web-production",
    subject: "team:sre",
    role: "admin",
  },
  { key: "ml-ml", project: ml, subject: "team:ml", role: "developer" },
  { key: "ml-sre-production", project: ml, environment: "ml-production", subject: "team:sre", role: "admin" },
  { key: "acme-delivery", project: acme, subject: "team:acme-delivery", role: "developer" },
  {
    key: "acme-client",
    project: acme,
    environment: "acme-prod",
    subject: "team:acme-client",
    role: "viewer",
  },
];
for (const [key, project] of [
  ["web", web],
  ["ml", ml],
  ["acme", acme],
] as const) {
  roles.push({ key: `${key}-ci`, project, subject: "service:ci", role: "contributor" });
}
for (const r of roles) {
  new tenancy.RoleBinding(r.key, {
    project: r.project.name,
    subject: r.subject,
    role: r.role,
    ...(r.environment ? { environment: env(r.environment).name } : {}),
  });
}

// The teams the bindings above name, with their members: a member holds the team's roles at once,
// with no team claim in its token; one removed loses them on the next request.
const teams: Record<string, string[]> = {
  storefront: ["user:ada", "user:grace"],
  sre: ["user:linus", "service:oncall-bot"],
  ml: ["user:fei-fei"],
  "acme-delivery": ["user:margaret"],
};
for (const [name, members] of Object.entries(teams)) new tenancy.Team(name, { name, members });
// The client's own people are synced from its identity provider elsewhere: one membership each.
const acmeClient = new tenancy.Team("acme-client", {
  name: "acme-client",
  description: "Acme Corp staff (synced)",
});
new tenancy.TeamMember("acme-client-wile", { team: acmeClient.name, subject: "user:wile.e" });

// The GitOps pipeline's own token (examples/gitops): issued here, rotated by the first up in the
// last 14 days of its 90, and read from this output at each pipeline run.
const pipeline = new tenancy.ApiToken("gitops-pipeline", {
  name: "gitops-pipeline",
  subject: "service:gitops",
  orgAdmin: true,
  expiresIn: "90d",
  rotateBefore: "14d",
});
export const pipelineToken = pipeline.token;

export const namespaces = [...environments.values()].map((e) => pulumi.interpolate`${e.project}-${e.name}`);
