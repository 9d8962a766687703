// A project's objects in one call, for a Pulumi refresh, each read by the service that owns it, so
// the answer holds exactly what separate GETs would. The environments come from the list, which
// holds only those the caller may read (any role there is at least viewer): their quotas, defaults
// and secrets are then read for all of them at once, a statement per kind instead of per
// environment.
import { TenancyError, type ProjectObjects } from "../../model";
import type { Actor } from "./context";
import type { ceilingService } from "./ceilings";
import type { defaultsService } from "./defaults";
import type { environmentService } from "./environments";
import type { projectService } from "./projects";
import type { quotaService } from "./quotas";
import type { roleBindingService } from "./role-bindings";
import type { secretService } from "./secrets";

interface Readers {
  projects: ReturnType<typeof projectService>;
  environments: ReturnType<typeof environmentService>;
  quotas: ReturnType<typeof quotaService>;
  ceilings: ReturnType<typeof ceilingService>;
  defaults: ReturnType<typeof defaultsService>;
  secrets: ReturnType<typeof secretService>;
  roleBindings: ReturnType<typeof roleBindingService>;
}

/** The object, or undefined when there is none (a quota or defaults not set). */
async function ifAny<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (TenancyError.isInstance(err) && err.code === "not_found") return undefined;
    throw err;
  }
}

const present = <T extends object>(key: string, value: T | undefined) => (value ? { [key]: value } : {});

export function projectObjectsService(readers: Readers) {
  return {
    async get(actor: Actor, project: string): Promise<ProjectObjects> {
      const found = await readers.projects.get(actor, project);
      const ceiling = await ifAny(readers.ceilings.get(actor, { kind: "project", project }));
      const defaults = await ifAny(readers.defaults.get(actor, { kind: "project", project }));
      const listed = await readers.environments.list(actor, project);
      const names = listed.map((environment) => environment.name);
      const quotas = await readers.quotas.ofEnvironments(project, names);
      const own = await readers.defaults.ofEnvironments(project, names);
      const secrets = await readers.secrets.ofEnvironments(project, names);
      const environments: ProjectObjects["environments"] = listed.map((environment) => ({
        environment,
        ...present("quota", quotas.get(environment.name)),
        ...present("defaults", own.get(environment.name)),
        secrets: secrets.get(environment.name) ?? [],
      }));
      return {
        project: found,
        ...present("ceiling", ceiling),
        ...present("defaults", defaults),
        environments,
        roleBindings: await readers.roleBindings.list(actor, project),
      };
    },
  };
}
