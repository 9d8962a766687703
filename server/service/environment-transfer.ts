// Moving an environment to another project: the locks a transfer takes first and the rules it
// checks before the environment's row takes its new project.
import type { Selectable } from "kysely";
import { TenancyError, environmentId } from "../../model";
import type { EnvironmentTable } from "../store/schema";
import { authorize } from "./access";
import type { Actor, Tx } from "./context";
import { refuseProtected } from "./environment-rows";
import { loadProject, refuseArchived } from "./projects";

const kind = "Environment";

/**
 * Locks every environment of `project`, in name order, and returns their names. A transfer takes
 * them before anything else: it needs its siblings to stay while it checks that one is left, and a
 * transfer that locked its own environment first and its siblings after would deadlock with
 * another transfer out of the same project (each holding the environment the other waits for).
 */
export async function lockProjectEnvironments(tx: Tx, project: string) {
  const rows = await tx
    .selectFrom("environments")
    .select("name")
    .where("project", "=", project)
    .orderBy("name")
    .forUpdate()
    .execute();
  return rows.map((row) => row.name);
}

/**
 * The rules of a move, checked before the environment's row takes its new project (the foreign keys
 * then carry its quota, defaults, secret and role bindings, and reservations along). `inProject`
 * names the environments of its project, locked.
 */
export async function move(
  tx: Tx,
  actor: Actor,
  before: Selectable<EnvironmentTable>,
  destination: string,
  inProject: string[],
) {
  const { project, name } = before;
  const id = environmentId(project, name);
  // A move takes the environment's bindings along: only an admin of both projects, project-wide, may
  // make it, or a developer could carry an environment into a project it administers.
  await authorize(tx, actor, "administer", project);
  await authorize(tx, actor, "administer", destination);
  refuseProtected(before, "transferred");
  // Shared, not exclusive: enough to keep the destination from being archived or deleted meanwhile,
  // and it lets two opposite transfers (p to q and q to p) hold their destinations and then both
  // projects' rows in key-share mode, where exclusive locks made each wait for the other.
  refuseArchived(await loadProject(tx, destination, "share"), "environments");
  if (!inProject.some((sibling) => sibling !== name)) {
    throw new TenancyError(
      "conflict",
      `environment ${id} is the last of project ${project}, which must keep one`,
      {
        target: { kind, id },
      },
    );
  }
  const clash = await tx
    .selectFrom("environments")
    .select("name")
    .where("project", "=", destination)
    .where("name", "=", name)
    .executeTakeFirst();
  if (clash) {
    throw new TenancyError("conflict", `project ${destination} already has an environment ${name}`, {
      target: { kind, id: environmentId(destination, name) },
    });
  }
}
