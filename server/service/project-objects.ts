// A project's objects in one call, for a Pulumi refresh: each read by the service that owns it,
// with that service's own access check, so the answer holds exactly what separate GETs would.
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
      const environments: ProjectObjects["environments"] = [];
      for (const environment of await readers.environments.list(actor, project)) {
        const name = environment.name;
        const quota = await ifAny(readers.quotas.get(actor, project, name));
        const own = await ifAny(
          readers.defaults.get(actor, { kind: "environment", project, environment: name }),
        );
        environments.push({
          environment,
          ...present("quota", quota),
          ...present("defaults", own),
          secrets: await readers.secrets.list(actor, project, name),
        });
      }
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
