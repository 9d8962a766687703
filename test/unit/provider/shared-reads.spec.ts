// A refresh's reads of one project share one answer: many resources, one request; a write through
// the provider drops it; a control plane that cannot answer it gets one read per resource, as before.
import { strict as assert } from "node:assert";
import {
  TenancyError,
  type Domain,
  type Environment,
  type ProjectObjects,
  type SecretBinding,
  type StackObjects,
} from "../../../model";
import type { TenancyClient } from "../../../client";
import { providerFor } from "../../../provider/kind-provider";
import { domainSpec } from "../../../provider/domain";
import { environmentSpec } from "../../../provider/environment";
import { secretBindingSpec } from "../../../provider/secret-binding";

const now = "2026-01-01T00:00:00.000Z";
const meta = { version: 1, createdAt: now, updatedAt: now, managedBy: null };

/** `stackRoute`: how GET /v1/objects?stack= answers: with web in it, with no project, or not at all
 * (a control plane from before the route). */
function fakeProject(options: { sharedRoute: boolean; stackRoute?: "holds web" | "holds none" | "missing" }) {
  const calls: string[] = [];
  const environment = {
    project: "web",
    name: "production",
    domain: "production",
    protected: false,
    ...meta,
  } as unknown as Environment;
  const secrets = new Map<string, SecretBinding>(
    ["db", "api", "queue"].map((name) => [
      name,
      { project: "web", environment: "production", name, kind: "value", valueVersion: 1, ...meta },
    ]),
  );
  const projectObjects = (project: string): ProjectObjects => ({
    project: { name: project, ...meta } as unknown as ProjectObjects["project"],
    environments: [{ environment, secrets: [...secrets.values()] }],
    roleBindings: [],
  });
  const production = { name: "production", tier: "production", ...meta } as Domain;
  const client = {
    projects: {
      objects: async (project: string): Promise<ProjectObjects> => {
        calls.push(`objects ${project}`);
        // A control plane from before the route answers an unknown path with not_found.
        if (!options.sharedRoute)
          throw new TenancyError("not_found", "Route GET /v1/projects/web/objects not found");
        return projectObjects(project);
      },
      ofStack: async (stack: string): Promise<StackObjects> => {
        calls.push(`stack ${stack}`);
        if (options.stackRoute === "missing" || options.stackRoute === undefined)
          throw new TenancyError("not_found", "Route GET /v1/objects not found");
        return {
          projects: options.stackRoute === "holds web" ? [projectObjects("web")] : [],
          domains: [production],
        };
      },
    },
    domains: {
      get: async (name: string) => {
        calls.push(`get domain ${name}`);
        if (name !== "production") throw new TenancyError("not_found", `Domain ${name} does not exist`);
        return production;
      },
    },
    environments: {
      get: async (project: string, name: string) => {
        calls.push(`get environment ${project}/${name}`);
        return environment;
      },
    },
    secrets: {
      get: async (project: string, env: string, name: string) => {
        calls.push(`get secret ${name}`);
        const found = secrets.get(name);
        if (!found)
          throw new TenancyError("not_found", `SecretBinding ${project}/${env}/${name} does not exist`);
        return found;
      },
      update: async (_p: string, _e: string, name: string, _patch: unknown, version: number) => {
        calls.push(`update secret ${name}`);
        const next = { ...secrets.get(name)!, version: version + 1 };
        secrets.set(name, next);
        return next;
      },
    },
  } as unknown as TenancyClient;
  (client as unknown as { as: () => TenancyClient }).as = () => client;
  return { calls, client, secrets };
}

const props = (name: string) => ({
  project: "web",
  environment: "production",
  name,
  value: "v",
  valueVersion: 1,
  ...meta,
});

describe("provider: shared reads of a project", () => {
  it("reads many resources of a project with one request, and finds what is gone gone", async () => {
    const fake = fakeProject({ sharedRoute: true });
    const secretProvider = providerFor(secretBindingSpec, () => fake.client);
    const environmentProvider = providerFor(environmentSpec, () => fake.client);
    const [db, api, queue, gone, env] = await Promise.all([
      secretProvider.read("web/production/db", props("db")),
      secretProvider.read("web/production/api", props("api")),
      secretProvider.read("web/production/queue", props("queue")),
      secretProvider.read("web/production/old", props("old")),
      environmentProvider.read("web/production", {
        project: "web",
        name: "production",
        domain: "production",
        ...meta,
      }),
    ]);
    assert.deepEqual(fake.calls, ["objects web"]);
    assert.deepEqual(
      [db, api, queue].map((r) => r.props?.name),
      ["db", "api", "queue"],
    );
    assert.deepEqual(gone, { id: "" });
    assert.equal(env.id, "web/production");
  });

  it("reads anew after a write through the provider", async () => {
    const fake = fakeProject({ sharedRoute: true });
    const provider = providerFor(secretBindingSpec, () => fake.client);
    await provider.read("web/production/db", props("db"));
    const updated = await provider.update("web/production/db", props("db"), {
      project: "web",
      environment: "production",
      name: "db",
      value: "w",
    });
    assert.equal(updated.outs.version, 2);
    const read = await provider.read("web/production/db", updated.outs);
    assert.equal(read.props?.version, 2, "the write is seen, not the answer from before it");
    assert.deepEqual(fake.calls, ["objects web", "update secret db", "objects web"]);
  });

  it("reads each resource on its own when the shared answer cannot be had", async () => {
    const fake = fakeProject({ sharedRoute: false });
    const provider = providerFor(secretBindingSpec, () => fake.client);
    const [db, gone] = await Promise.all([
      provider.read("web/production/db", props("db")),
      provider.read("web/production/old", props("old")),
    ]);
    assert.equal(db.props?.name, "db", "a not_found of the shared read is not every object gone");
    assert.deepEqual(gone, { id: "" });
    assert.deepEqual(fake.calls.sort(), ["get secret db", "get secret old", "objects web"]);
  });
});

describe("provider: shared reads of a stack", () => {
  const stack = "urn:pulumi:prod::org";
  const managedBy = (kind: string, name: string) => ({
    managedBy: { stack: "prod", urn: `${stack}::pulumi-nodejs:dynamic/tenancy:${kind}::${name}` },
  });
  const secret = (name: string) => ({ ...props(name), ...managedBy("SecretBinding", name) });
  const domain = (name: string) => ({
    name,
    tier: "production" as const,
    ...meta,
    ...managedBy("Domain", name),
  });

  it("reads a stack's projects and domains with one request, and finds what is gone gone", async () => {
    const fake = fakeProject({ sharedRoute: true, stackRoute: "holds web" });
    const secrets = providerFor(secretBindingSpec, () => fake.client);
    const domains = providerFor(domainSpec, () => fake.client);
    const [db, gone, production, removed] = await Promise.all([
      secrets.read("web/production/db", secret("db")),
      secrets.read("web/production/old", secret("old")),
      domains.read("production", domain("production")),
      domains.read("qa", domain("qa")),
    ]);
    assert.deepEqual(fake.calls, [`stack ${stack}`]);
    assert.equal(db.props?.name, "db");
    assert.deepEqual(gone, { id: "" });
    assert.equal(production.props?.name, "production");
    assert.deepEqual(removed, { id: "" });
  });

  it("reads a project the stack's answer does not hold with the project's own answer", async () => {
    const fake = fakeProject({ sharedRoute: true, stackRoute: "holds none" });
    const secrets = providerFor(secretBindingSpec, () => fake.client);
    const [db, api] = await Promise.all([
      secrets.read("web/production/db", secret("db")),
      secrets.read("web/production/api", secret("api")),
    ]);
    assert.deepEqual([db.props?.name, api.props?.name], ["db", "api"]);
    assert.deepEqual(fake.calls, [`stack ${stack}`, "objects web"]);
  });

  it("reads per project and per domain when the stack's answer cannot be had", async () => {
    const fake = fakeProject({ sharedRoute: true, stackRoute: "missing" });
    const secrets = providerFor(secretBindingSpec, () => fake.client);
    const domains = providerFor(domainSpec, () => fake.client);
    const db = await secrets.read("web/production/db", secret("db"));
    const production = await domains.read("production", domain("production"));
    assert.equal(db.props?.name, "db", "a not_found of the stack's read is not every object gone");
    assert.equal(production.props?.name, "production");
    assert.deepEqual(fake.calls, [`stack ${stack}`, "objects web", "get domain production"]);
  });
});
