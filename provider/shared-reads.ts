// A refresh reads every resource of a stack at once, one provider call each. Reads of objects of
// one project share one answer (GET /v1/projects/{p}/objects) instead of one request each. An
// answer serves reads for a few seconds only, and any write through this process drops every
// answer, so a read never returns something older than this process's own writes.
import type { TenancyClient } from "../client";
import type { ProjectObjects } from "../model";

/** How long one answer serves reads: the span of a refresh's burst of reads, not of a run. */
const servesForMs = 5_000;

/** `unshared`: the shared read failed, and each object is read on its own, with its own answer.
 * That includes a project that is not there: a control plane without the route answers not_found
 * too, and that must not read as every object being gone. */
export type SharedProject = ProjectObjects | "unshared";

const answers = new WeakMap<TenancyClient, Map<string, { at: number; objects: Promise<SharedProject> }>>();

export function sharedProject(api: TenancyClient, project: string): Promise<SharedProject> {
  let byProject = answers.get(api);
  if (!byProject) answers.set(api, (byProject = new Map()));
  const kept = byProject.get(project);
  if (kept && Date.now() - kept.at < servesForMs) return kept.objects;
  const objects = api.projects.objects(project).then(
    (found): SharedProject => found,
    (): SharedProject => "unshared",
  );
  byProject.set(project, { at: Date.now(), objects });
  return objects;
}

/** Drops every shared answer of `api`: called before each write. */
export function forgetSharedReads(api: TenancyClient): void {
  answers.delete(api);
}

/** The environment's part of a shared answer. */
export function environmentIn(objects: ProjectObjects, environment: string) {
  return objects.environments.find((e) => e.environment.name === environment);
}
