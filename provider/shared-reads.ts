// A refresh reads every resource of a stack at once, one provider call each. Those reads share
// answers instead of sending one request each: the stack's (GET /v1/objects?stack=), which holds
// every project the stack manages objects in and every domain; for a project it does not hold, the
// project's own (GET /v1/projects/{p}/objects). An answer serves reads for a few seconds only, and
// any write through this process drops every answer, so a read never returns something older than
// this process's own writes.
import type { TenancyClient } from "../client";
import type { ProjectObjects, StackObjects } from "../model";

/** How long one answer serves reads: the span of a refresh's burst of reads, not of a run. */
const servesForMs = 5_000;

/** `unshared`: the shared read failed, and each object is read on its own, with its own answer.
 * That includes a project that is not there: a control plane without the route answers not_found
 * too, and that must not read as every object being gone. */
type Shared<T> = T | "unshared";

const answers = new WeakMap<TenancyClient, Map<string, { at: number; answer: Promise<unknown> }>>();

function shared<T>(api: TenancyClient, key: string, read: () => Promise<T>): Promise<Shared<T>> {
  let byKey = answers.get(api);
  if (!byKey) answers.set(api, (byKey = new Map()));
  const kept = byKey.get(key);
  if (kept && Date.now() - kept.at < servesForMs) return kept.answer as Promise<Shared<T>>;
  const answer = read().then(
    (found): Shared<T> => found,
    (): Shared<T> => "unshared",
  );
  byKey.set(key, { at: Date.now(), answer });
  return answer;
}

/** The answer for a stack (`urn:pulumi:<stack>::<project>`). */
export function sharedStack(api: TenancyClient, stack: string): Promise<Shared<StackObjects>> {
  return shared(api, `stack ${stack}`, () => api.projects.ofStack(stack));
}

/** A project's answer: from its stack's when that holds it, else its own. */
export async function sharedProject(
  api: TenancyClient,
  project: string,
  stack?: string,
): Promise<Shared<ProjectObjects>> {
  if (stack !== undefined) {
    const objects = await sharedStack(api, stack);
    const held =
      objects === "unshared" ? undefined : objects.projects.find((p) => p.project.name === project);
    if (held) return held;
  }
  return shared(api, `project ${project}`, () => api.projects.objects(project));
}

/** Drops every shared answer of `api`: called before each write. */
export function forgetSharedReads(api: TenancyClient): void {
  answers.delete(api);
}

/** The environment's part of a shared answer. */
export function environmentIn(objects: ProjectObjects, environment: string) {
  return objects.environments.find((e) => e.environment.name === environment);
}
