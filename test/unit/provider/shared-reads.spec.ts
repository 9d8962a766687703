// A refresh's reads of one project share one answer: many resources, one request; a write through
// the provider drops it; a control plane that cannot answer it gets one read per resource, as before.
import { strict as assert } from "node:assert";
import { TenancyError, type Environment, type ProjectObjects, type SecretBinding } from "../../../model";
import type { TenancyClient } from "../../../client";
import { providerFor } from "../../../provider/kind-provider";
import { environmentSpec } from "../../../provider/environment";
import { secretBindingSpec } from "../../../provider/secret-binding";

const now = "2026-01-01T00:00:00.000Z";
const meta = { version: 1, createdAt: now, updatedAt: now, managedBy: null };

function fakeProject(options: { sharedRoute: boolean }) {
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
  const client = {
    projects: {
      objects: async (project: string): Promise<ProjectObjects> => {
        calls.push(`objects ${project}`);
        // A control plane from before the route answers an unknown path with not_found.
        if (!options.sharedRoute)
          throw new TenancyError("not_found", "Route GET /v1/projects/web/objects not found");
        return {
          project: { name: project, ...meta } as unknown as ProjectObjects["project"],
          environments: [{ environment, secrets: [...secrets.values()] }],
          roleBindings: [],
        };
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
