// The policies of the tenancy pack, as data: a name, a one-sentence description, an enforcement
// level and a validate function each. The naming rules are the control plane's own (model/).
import type {
  PolicyResource,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { maxNameLength, maxNamespaceLength, nameProblem, namespaceOf } from "../model/names";
import { formatQuantity, parseQuantity } from "../model/quantity";
import { quotaDimensionRegistry, type QuotaDimensionInfo } from "../model/dimensions";

export const types = {
  domain: "pulumi-nodejs:dynamic/tenancy:Domain",
  project: "pulumi-nodejs:dynamic/tenancy:Project",
  environment: "pulumi-nodejs:dynamic/tenancy:Environment",
  quota: "pulumi-nodejs:dynamic/tenancy:Quota",
  secretBinding: "pulumi-nodejs:dynamic/tenancy:SecretBinding",
  roleBinding: "pulumi-nodejs:dynamic/tenancy:RoleBinding",
  team: "pulumi-nodejs:dynamic/tenancy:Team",
} as const;

/** A value known during preview; computed values not yet known are skipped, not judged. */
function known(value: unknown): value is string {
  return typeof value === "string" && value.length > 0;
}

const defaultReserved = ["default", "system", "admin", "kube-system", "kube-public"];

export const naming: ResourceValidationPolicy = {
  name: "tenancy-naming",
  description: "Domain, project, environment and secret names follow the control plane's naming rules.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      pattern: { type: "string", description: "A stricter regular expression names must also match." },
      reservedNames: { type: "array", items: { type: "string" }, default: defaultReserved },
    },
  },
  validateResource: (args, report) => {
    const config = args.getConfig<{ pattern?: string; reservedNames?: string[] }>();
    const reserved = config.reservedNames ?? defaultReserved;
    const pattern = config.pattern ? new RegExp(config.pattern) : undefined;
    const check = (field: string, value: unknown) => {
      if (!known(value)) return;
      const problem =
        nameProblem(value) ??
        (pattern && !pattern.test(value) ? `must match ${pattern}` : undefined) ??
        (reserved.includes(value) ? "is reserved" : undefined);
      if (problem) {
        report(
          `${args.name}: ${field} "${value}" ${problem}; choose a lowercase slug of 1-${maxNameLength} characters such as "web-shop".`,
        );
      }
    };
    switch (args.type) {
      case types.domain:
      case types.project:
      case types.secretBinding:
      case types.team:
        check("name", args.props.name);
        break;
      case types.environment: {
        const name = args.props.name ?? args.props.domain;
        check("name", name);
        if (
          known(args.props.project) &&
          known(name) &&
          namespaceOf(args.props.project, name).length > maxNamespaceLength
        ) {
          report(
            `${args.name}: "${namespaceOf(args.props.project, name)}" (project-environment) must be at most ${maxNamespaceLength} characters, since runtimes use it as a namespace; shorten the project or environment name.`,
          );
        }
        break;
      }
    }
  },
};

interface TierConfig {
  productionTiers?: string[];
  productionDomains?: string[];
}

const tierConfigSchema = {
  properties: {
    productionTiers: { type: "array", items: { type: "string" }, default: ["production"] },
    productionDomains: {
      type: "array",
      items: { type: "string" },
      default: ["production"],
      description: "Domains treated as production when the stack does not declare them.",
    },
  },
} as const;

/** Which domains are production: those the stack declares with a production tier, else the configured list. */
function productionDomains(resources: PolicyResource[], config: TierConfig): (domain: string) => boolean {
  const tiers = config.productionTiers ?? ["production"];
  const declared = new Map<string, string>();
  for (const r of resources) {
    if (r.type === types.domain && known(r.props.name) && known(r.props.tier))
      declared.set(r.props.name, r.props.tier);
  }
  const fallback = new Set(config.productionDomains ?? ["production"]);
  return (domain) => (declared.has(domain) ? tiers.includes(declared.get(domain)!) : fallback.has(domain));
}

interface EnvironmentView {
  resource: PolicyResource;
  project: string;
  name: string;
  domain: string;
}

function environments(resources: PolicyResource[]): EnvironmentView[] {
  return resources.flatMap((resource) => {
    if (resource.type !== types.environment) return [];
    const { project, domain } = resource.props;
    const name = resource.props.name ?? domain;
    return known(project) && known(domain) && known(name) ? [{ resource, project, name, domain }] : [];
  });
}

/** The stack's environments that are in a production domain. */
function productionEnvironments(args: StackValidationArgs): EnvironmentView[] {
  const isProduction = productionDomains(args.resources, args.getConfig<TierConfig>());
  return environments(args.resources).filter((env) => isProduction(env.domain));
}

export const productionProtected: StackValidationPolicy = {
  name: "tenancy-production-protected",
  description: "Environments in a production-tier domain set protected: true.",
  enforcementLevel: "mandatory",
  configSchema: tierConfigSchema,
  validateStack: (args, report) => {
    for (const env of productionEnvironments(args)) {
      if (env.resource.props.protected !== true) {
        report(
          `${env.resource.name}: environment ${env.project}/${env.name} is in production domain "${env.domain}" but protected is ${JSON.stringify(env.resource.props.protected ?? false)}; set protected: true.`,
          env.resource.urn,
        );
      }
    }
  },
};

export const productionApproval: StackValidationPolicy = {
  name: "tenancy-production-approval",
  description: "Environments in a production-tier domain set approval (advisory by default).",
  enforcementLevel: "advisory",
  configSchema: tierConfigSchema,
  validateStack: (args, report) => {
    for (const env of productionEnvironments(args)) {
      const approval = env.resource.props.approval as { approvers?: unknown[] } | undefined;
      if (!approval || !Array.isArray(approval.approvers) || approval.approvers.length === 0) {
        report(
          `${env.resource.name}: production environment ${env.project}/${env.name} sets no approval; set approval: { approvers: [...] } so that changes to it wait for an approver.`,
          env.resource.urn,
        );
      }
    }
  },
};

export const productionQuota: StackValidationPolicy = {
  name: "tenancy-production-quota",
  description: "Every production environment in the stack has a Quota.",
  enforcementLevel: "mandatory",
  configSchema: tierConfigSchema,
  validateStack: (args, report) => {
    const quotas = new Set(
      args.resources
        .filter((r) => r.type === types.quota && known(r.props.environment))
        .map((r) => `${r.props.project}/${r.props.environment}`),
    );
    for (const env of productionEnvironments(args)) {
      if (!quotas.has(`${env.project}/${env.name}`)) {
        report(
          `${env.resource.name}: production environment ${env.project}/${env.name} has no Quota; declare a tenancy.Quota for it.`,
          env.resource.urn,
        );
      }
    }
  },
};

export const secretIsolation: StackValidationPolicy = {
  name: "tenancy-secret-isolation",
  description:
    "A secret reference bound in production is not bound outside production, and never crosses projects.",
  enforcementLevel: "mandatory",
  configSchema: tierConfigSchema,
  validateStack: (args, report) => {
    const isProduction = productionDomains(args.resources, args.getConfig<TierConfig>());
    const domainOf = new Map(environments(args.resources).map((e) => [`${e.project}/${e.name}`, e.domain]));
    const byReference = new Map<
      string,
      { resource: PolicyResource; project: string; environment: string; production: boolean }[]
    >();
    for (const r of args.resources) {
      if (r.type !== types.secretBinding || !known(r.props.reference)) continue;
      const { project, environment } = r.props;
      if (!known(project) || !known(environment)) continue;
      const domain = domainOf.get(`${project}/${environment}`) ?? environment;
      const uses = byReference.get(r.props.reference) ?? [];
      uses.push({ resource: r, project, environment, production: isProduction(domain) });
      byReference.set(r.props.reference, uses);
    }
    for (const [reference, uses] of byReference) {
      const projects = [...new Set(uses.map((u) => u.project))];
      if (projects.length > 1) {
        report(
          `reference "${reference}" is bound in projects ${projects.join(", ")}; give each project its own secret.`,
          uses[0]!.resource.urn,
        );
      }
      const production = uses.filter((u) => u.production);
      const other = uses.filter((u) => !u.production);
      if (production.length > 0 && other.length > 0) {
        report(
          `reference "${reference}" is bound in production (${production.map((u) => `${u.project}/${u.environment}`).join(", ")}) and outside it (${other.map((u) => `${u.project}/${u.environment}`).join(", ")}); bind a separate secret outside production.`,
          other[0]!.resource.urn,
        );
      }
    }
  },
};

const defaultSubjectKinds = ["team", "service"];

export const rolesViaTeams: ResourceValidationPolicy = {
  name: "tenancy-roles-via-teams",
  description: "Role bindings name teams or services, not individual users.",
  enforcementLevel: "advisory",
  configSchema: {
    properties: {
      allowedSubjectKinds: { type: "array", items: { type: "string" }, default: defaultSubjectKinds },
    },
  },
  validateResource: (args, report) => {
    if (args.type !== types.roleBinding || !known(args.props.subject)) return;
    const allowed =
      args.getConfig<{ allowedSubjectKinds?: string[] }>().allowedSubjectKinds ?? defaultSubjectKinds;
    const kind = args.props.subject.split(":")[0]!;
    if (!allowed.includes(kind)) {
      report(
        `${args.name}: subject "${args.props.subject}" is a ${kind}; bind a ${allowed.join(" or ")} instead (e.g. "team:…") so access follows team membership.`,
      );
    }
  },
};

/** An amount as the policy compares it: quantities in milli-units, counts as they are; undefined
 * when unset or not known yet. */
function amount(dimension: QuotaDimensionInfo, value: unknown): bigint | undefined {
  if (value === undefined || value === null) return undefined;
  if (!dimension.quantity) return typeof value === "number" ? BigInt(value) : undefined;
  try {
    return typeof value === "string" || typeof value === "number" ? parseQuantity(value) : undefined;
  } catch {
    return undefined; // a malformed quantity is the control plane's to refuse, with its field
  }
}

function amountText(dimension: QuotaDimensionInfo, value: bigint): string {
  return dimension.quantity ? formatQuantity(value) : value.toString();
}

export const quotaCapacity: StackValidationPolicy = {
  name: "tenancy-quota-capacity",
  description:
    "The environment quotas a stack declares under a project or domain ceiling it also declares add up to no more than the ceiling.",
  enforcementLevel: "mandatory",
  validateStack: (args, report) => {
    const quotas = args.resources.filter((r) => r.type === types.quota);
    const domainOf = new Map(environments(args.resources).map((e) => [`${e.project}/${e.name}`, e.domain]));
    const below = quotas.filter((q) => known(q.props.project) && known(q.props.environment));
    for (const ceiling of quotas) {
      const { project, environment, domain } = ceiling.props;
      let scope: string;
      let under: PolicyResource[];
      if (known(domain)) {
        scope = `domain:${domain}`;
        under = below.filter((q) => domainOf.get(`${q.props.project}/${q.props.environment}`) === domain);
      } else if (known(project) && environment === undefined) {
        scope = `project:${project}`;
        under = below.filter((q) => q.props.project === project);
      } else continue;
      for (const dimension of quotaDimensionRegistry) {
        const limit = amount(dimension, ceiling.props[dimension.field]);
        if (limit === undefined) continue;
        const parts = under.flatMap((q) => {
          const value = amount(dimension, q.props[dimension.field]);
          return value === undefined ? [] : [{ q, value }];
        });
        const sum = parts.reduce((total, p) => total + p.value, 0n);
        if (sum > limit) {
          const listed = parts
            .map((p) => `${p.q.props.project}/${p.q.props.environment} ${amountText(dimension, p.value)}`)
            .join(", ");
          report(
            `${ceiling.name}: the quotas under the ceiling ${scope} add up to ${amountText(dimension, sum)} ${dimension.field}, more than its limit of ${amountText(dimension, limit)} (${listed}); raise the ceiling or lower the quotas.`,
            ceiling.urn,
          );
        }
      }
    }
  },
};

export const policies = [
  naming,
  productionProtected,
  productionApproval,
  productionQuota,
  secretIsolation,
  rolesViaTeams,
  quotaCapacity,
];
