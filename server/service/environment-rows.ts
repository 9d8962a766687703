// An environment's row: read, locked, and shown as the API shows it. Below every service that works
// under an environment, so none of them needs the environment service itself.
import type { Selectable } from "kysely";
import { TenancyError, environmentId, type Environment } from "../../model";
import type { EnvironmentTable } from "../store/schema";
import type { Jsonable, Operand, Queryable } from "./context";
import { compiledOnce } from "./compiled-once";
import { notFound } from "./errors";
import { managedByOf } from "./ownership";
import { loadProject } from "./projects";
import { iso, optional } from "./rows";

const kind = "Environment";

/** From a row, or from the row as JSON (timestamps as strings). */
export function toEnvironment(row: Jsonable<Selectable<EnvironmentTable>>): Environment {
  return {
    project: row.project,
    name: row.name,
    domain: row.domain,
    description: optional(row.description),
    labels: optional(row.labels),
    protected: row.protected,
    clusters: optional(row.clusters),
    approval: optional(row.approval),
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

export const environmentRow = (q: Queryable, project: Operand, name: Operand) =>
  q.selectFrom("environments").selectAll().where("project", "=", project).where("name", "=", name);
const readEnvironment = compiledOnce(environmentRow);
const lockEnvironment = compiledOnce((q, project: string, name: string) =>
  environmentRow(q, project, name).forUpdate(),
);

export async function loadEnvironment(q: Queryable, project: string, name: string, forUpdate = false) {
  const [row] = await (forUpdate ? lockEnvironment : readEnvironment)(q, project, name);
  if (!row) {
    await loadProject(q, project); // says which of the two is missing
    throw notFound(kind, environmentId(project, name));
  }
  return row;
}

export function refuseProtected(row: Selectable<EnvironmentTable>, what: string) {
  if (row.protected) {
    const id = environmentId(row.project, row.name);
    throw new TenancyError(
      "protected",
      `environment ${id} is protected and cannot be ${what}; set protected to false first`,
      {
        target: { kind, id },
      },
    );
  }
}
