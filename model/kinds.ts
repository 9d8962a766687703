// Every kind a Pulumi program declares, once: its name, type token, the module that implements it
// in each layer, where the API keeps it, and its fields. The SDK, the provider, the client, the CLI
// and the OpenAPI document read it, so a new kind is an entry here and a few lines in each layer.
import { quotaDimensions } from "./dimensions";

interface KindEntry {
  /** One sentence: what an object of the kind is (the OpenAPI document's tag description). */
  description: string;
  /** The OpenAPI tag of its routes. */
  tag: string;
  /** The module of the kind in provider/ and sdk/ (kebab-case). */
  module: string;
  /** The API's collection the kind lives in, as path segments with `{field}` placeholders. */
  apiPath: readonly string[];
  /** The fields that name an object (the Pulumi id is made of them). */
  identity: readonly string[];
  /** The resource's inputs (`adopt` aside, which every kind takes). */
  inputs: readonly string[];
  /** Inputs whose change replaces the object. */
  immutable: readonly string[];
  /** Outputs the control plane computes. */
  outputs: readonly string[];
}

/** The outputs of every stored object. */
const meta = ["version", "createdAt", "updatedAt"] as const;

export const kindRegistry = {
  Domain: {
    description: "Org-wide stages (development, staging, production, custom); changed by org admins.",
    tag: "domains",
    module: "domain",
    apiPath: ["domains"],
    identity: ["name"],
    inputs: ["name", "tier", "displayName", "description", "order", "clusters"],
    immutable: ["name", "tier"],
    outputs: meta,
  },
  Project: {
    description: "Products, teams or clients.",
    tag: "projects",
    module: "project",
    apiPath: ["projects"],
    identity: ["name"],
    inputs: ["name", "displayName", "description", "labels", "archived"],
    immutable: ["name"],
    outputs: meta,
  },
  Environment: {
    description: "Where a project meets a domain: each has its own quota, defaults, secrets and roles.",
    tag: "environments",
    module: "environment",
    apiPath: ["projects", "{project}", "environments"],
    identity: ["project", "name"],
    inputs: ["project", "name", "domain", "description", "labels", "protected", "clusters", "approval"],
    // `project` may change: that is a transfer, not a replacement.
    immutable: ["name", "domain"],
    outputs: meta,
  },
  Cluster: {
    description: "Kubernetes clusters that tenancy sync keeps in step; changed by org admins.",
    tag: "clusters",
    module: "cluster",
    apiPath: ["clusters"],
    identity: ["name"],
    inputs: ["name", "displayName", "description", "labels"],
    immutable: ["name"],
    outputs: meta,
  },
  Quota: {
    description: "Limits that reservations are admitted against, atomically.",
    tag: "quotas",
    module: "quota",
    apiPath: ["projects", "{project}", "environments", "{environment}", "quota"],
    identity: ["project", "environment", "domain"],
    inputs: ["project", "environment", "domain", ...quotaDimensions],
    immutable: ["project", "environment", "domain"],
    outputs: meta,
  },
  ResourceDefaults: {
    description: "Default requests and limits for workloads, per domain, project or environment.",
    tag: "defaults",
    module: "resource-defaults",
    apiPath: ["projects", "{project}", "environments", "{environment}", "defaults"],
    identity: ["domain", "project", "environment"],
    inputs: ["domain", "project", "environment", "requests", "limits"],
    immutable: ["domain", "project", "environment"],
    outputs: meta,
  },
  SecretBinding: {
    description: "Secret values (encrypted at rest, revealed only to developers) or references.",
    tag: "secrets",
    module: "secret-binding",
    apiPath: ["projects", "{project}", "environments", "{environment}", "secrets"],
    identity: ["project", "environment", "name"],
    inputs: ["project", "environment", "name", "value", "reference", "description"],
    immutable: ["project", "environment", "name"],
    outputs: [...meta, "valueVersion"],
  },
  RoleBinding: {
    description: "Who holds which role on a project or one of its environments.",
    tag: "role-bindings",
    module: "role-binding",
    apiPath: ["projects", "{project}", "role-bindings"],
    identity: ["project", "environment", "subject", "role"],
    inputs: ["project", "environment", "subject", "role", "expiresAt"],
    immutable: ["project", "environment", "subject", "role", "expiresAt"],
    outputs: [...meta, "bindingId"],
  },
  Team: {
    description: "Groups of subjects that role bindings can name.",
    tag: "teams",
    module: "team",
    apiPath: ["teams"],
    identity: ["name"],
    inputs: ["name", "displayName", "description", "members"],
    immutable: ["name"],
    outputs: meta,
  },
  TeamMember: {
    description: "Groups of subjects that role bindings can name.",
    tag: "teams",
    module: "team-member",
    apiPath: ["teams", "{team}", "members"],
    identity: ["team", "subject"],
    inputs: ["team", "subject"],
    immutable: ["team", "subject"],
    outputs: meta,
  },
  ApiToken: {
    description: "API tokens issued to users and services; their secrets are shown once.",
    tag: "tokens",
    module: "api-token",
    apiPath: ["tokens"],
    identity: ["name"],
    inputs: ["name", "subject", "teams", "orgAdmin", "cluster", "scim", "expiresIn", "rotateBefore"],
    // A token never changes once issued: these issue a new one (rotateBefore only times it).
    immutable: ["name", "subject", "teams", "orgAdmin", "cluster", "scim", "expiresIn"],
    outputs: ["token", "tokenId", "expiresAt", "createdAt"],
  },
} as const satisfies Record<string, KindEntry>;

export type KindName = keyof typeof kindRegistry;
export type KindModule = (typeof kindRegistry)[KindName]["module"];

/** A kind's Pulumi type token: `pulumi-nodejs:dynamic/tenancy:<Kind>`. */
export function typeToken(kind: KindName): string {
  return `pulumi-nodejs:dynamic/tenancy:${kind}`;
}

export const kindNames = Object.keys(kindRegistry) as KindName[];
