// The benchmark organisation: N projects × 3 domains; each environment has a quota, defaults, two
// secret bindings and two role bindings. `bench:mode` picks tenancy's resources, or the engine
// floor: the same graph (same count, same dependencies) of dynamic resources whose provider does
// nothing; or, `floor-outputs`, that floor with every property a tenancy resource has. `bench:bump`
// changes the quota of 1% of the environments (or of `bench:bumped` of them).
import * as pulumi from "@pulumi/pulumi";
import * as tenancy from "tenancy";

const config = new pulumi.Config("bench");
const projectCount = config.requireNumber("projects");
const mode = config.require("mode");
const floor = mode === "floor" || mode === "floor-outputs";
const bump = config.getNumber("bump") ?? 0;
// An organisation split into several stacks: each holds the projects from `firstProject` on, and
// only one of them declares the domains the others refer to by name.
const firstProject = config.getNumber("firstProject") ?? 0;
const declareDomains = config.getBoolean("declareDomains") ?? true;

// The floor's provider: creates echo their inputs, everything else is a no-op.
const noop: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    return { id: `${Date.now()}-${Math.random()}`, outs: inputs };
  },
  async diff(_id, olds, news) {
    const changed = Object.keys(news).some(
      (k) => !k.startsWith("__") && JSON.stringify(olds[k]) !== JSON.stringify(news[k]),
    );
    return { changes: changed };
  },
  async read(id, props) {
    return { id, props };
  },
  async update(_id, _olds, news) {
    return { outs: news };
  },
  async delete() {},
};

class Noop extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly project: pulumi.Output<string>;
  constructor(kind: string, name: string, args: pulumi.Inputs) {
    super(noop, name, args, {}, "bench", kind);
  }
}

/** The properties a tenancy resource of `kind` has beside its arguments (its outputs and the SDK's
 * own inputs, as the constructors in sdk/ give them), for the floor with tenancy's properties: the
 * SDK's cost grows with a resource's properties, whatever its provider does. */
function interfaceOf(kind: Kinds, name: string): Record<string, unknown> {
  const stack = pulumi.getStack();
  const common = {
    managedBy: {
      stack,
      urn: `urn:pulumi:${stack}::${pulumi.getProject()}::pulumi-nodejs:dynamic/tenancy:${kind}::${name}`,
    },
    __tenancy: { preview: pulumi.runtime.isDryRun(), references: [] },
    version: undefined,
    createdAt: undefined,
    updatedAt: undefined,
  };
  const unset = (...names: string[]) => Object.fromEntries(names.map((name) => [name, undefined]));
  const extra: Record<Kinds, Record<string, unknown>> = {
    Domain: unset("displayName", "description", "order"),
    Project: unset("displayName", "description", "labels", "archived"),
    Environment: unset("name", "description", "labels", "protected"),
    Quota: unset(
      "project",
      "environment",
      "domain",
      "cpu",
      "memory",
      "gpu",
      "storage",
      "maxConcurrentExecutions",
    ),
    ResourceDefaults: unset("domain", "project", "environment", "requests", "limits"),
    SecretBinding: unset("reference", "description", "value", "valueVersion"),
    RoleBinding: unset("environment", "bindingId"),
  };

  return { ...common, ...extra[kind] };
}

type Kinds =
  "Domain" | "Project" | "Environment" | "Quota" | "ResourceDefaults" | "SecretBinding" | "RoleBinding";
function make(
  kind: Kinds,
  name: string,
  args: Record<string, unknown>,
): { name: pulumi.Output<string>; project: pulumi.Output<string> } {
  if (floor)
    return new Noop(kind, name, mode === "floor-outputs" ? { ...interfaceOf(kind, name), ...args } : args);
  const Resource = tenancy[kind] as unknown as new (
    n: string,
    a: unknown,
  ) => { name: pulumi.Output<string>; project: pulumi.Output<string> };
  return new Resource(name, args);
}

const domains = (["development", "staging", "production"] as const).map((name, i) =>
  declareDomains
    ? make("Domain", name, {
        name,
        tier: name === "production" ? "production" : "non-production",
        order: (i + 1) * 10,
      })
    : { name: pulumi.output(name) },
);
const environmentCount = projectCount * domains.length;
const bumped = config.getNumber("bumped") ?? Math.ceil(environmentCount / 100);
let environmentIndex = 0;
for (let p = firstProject; p < firstProject + projectCount; p++) {
  const projectName = `project-${p}`;
  const project = make("Project", projectName, { name: projectName });
  for (const domain of domains) {
    const index = environmentIndex++;
    const env = make("Environment", `${projectName}-${index % 3}`, {
      project: project.name,
      domain: domain.name,
      name: domain.name,
    });
    const scope = { project: env.project, environment: env.name };
    const key = `${projectName}-${index % 3}`;
    make("Quota", key, {
      ...scope,
      cpu: String(8 + (index < bumped ? bump : 0)),
      memory: "16Gi",
      maxConcurrentExecutions: 10,
    });
    make("ResourceDefaults", key, { ...scope, requests: { cpu: "500m", memory: "1Gi" } });
    make("SecretBinding", `${key}-db`, { ...scope, name: "db", reference: `vault://${key}/db` });
    make("SecretBinding", `${key}-api`, { ...scope, name: "api", reference: `vault://${key}/api` });
    make("RoleBinding", `${key}-dev`, {
      project: project.name,
      environment: env.name,
      subject: "team:dev",
      role: "developer",
    });
    make("RoleBinding", `${key}-ci`, {
      project: project.name,
      environment: env.name,
      subject: "service:ci",
      role: "contributor",
    });
  }
}
