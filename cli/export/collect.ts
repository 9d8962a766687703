// What `tenancy export` reads: the organisation as a control plane holds it, as data.
import { orUndefined, type TenancyClient } from "../../client";
import { accessGrantManager } from "../../model";
import type {
  Ceiling,
  Cluster,
  Domain,
  Environment,
  Project,
  Quota,
  ResourceDefaults,
  RoleBinding,
  SecretBinding,
  Team,
} from "../../model";

export interface CollectedEnvironment {
  environment: Environment;
  quota?: Quota;
  defaults?: ResourceDefaults;
  secrets: SecretBinding[];
}

export interface CollectedProject {
  project: Project;
  ceiling?: Ceiling;
  defaults?: ResourceDefaults;
  environments: CollectedEnvironment[];
  roleBindings: RoleBinding[];
}

export interface Organisation {
  clusters: Cluster[];
  domains: { domain: Domain; ceiling?: Ceiling; defaults?: ResourceDefaults }[];
  projects: CollectedProject[];
  teams: Team[];
}

export async function collect(api: TenancyClient): Promise<Organisation> {
  const domains = [];
  for (const domain of await api.domains.list()) {
    const scope = { kind: "domain", domain: domain.name } as const;
    domains.push({
      domain,
      ceiling: await orUndefined(api.ceilings.get(scope)),
      defaults: await orUndefined(api.defaults.get(scope)),
    });
  }
  const projects: CollectedProject[] = [];
  for (const project of await api.projects.list()) {
    const scope = { kind: "project", project: project.name } as const;
    const environments: CollectedEnvironment[] = [];
    for (const environment of await api.environments.list(project.name)) {
      environments.push({
        environment,
        quota: await orUndefined(api.quotas.get(project.name, environment.name)),
        defaults: await orUndefined(
          api.defaults.get({ kind: "environment", project: project.name, environment: environment.name }),
        ),
        secrets: await api.secrets.list(project.name, environment.name),
      });
    }
    projects.push({
      project,
      ceiling: await orUndefined(api.ceilings.get(scope)),
      defaults: await orUndefined(api.defaults.get(scope)),
      environments,
      // An access request's grant lapses on its own: it is no declaration to keep.
      roleBindings: (await api.roleBindings.list(project.name)).filter(
        (b) => b.managedBy?.stack !== accessGrantManager,
      ),
    });
  }
  return { clusters: await api.clusters.list(), domains, projects, teams: await api.teams.list() };
}
