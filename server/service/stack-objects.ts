// A stack's objects in one call, for a Pulumi refresh: every project in which the stack manages an
// object, each answered whole by the project objects service (so exactly as
// GET /v1/projects/{p}/objects answers it), and every domain. Projects the caller may not read are
// left out: the provider then reads them on their own, as it would without this answer.
import { sql, type Kysely } from "kysely";
import { TenancyError, parseOrThrow, stackObjectsQuerySchema, type StackObjects } from "../../model";
import type { Database } from "../store/schema";
import type { Actor } from "./context";
import type { domainService } from "./domains";
import type { projectObjectsService } from "./project-objects";

interface Readers {
  projectObjects: ReturnType<typeof projectObjectsService>;
  domains: ReturnType<typeof domainService>;
}

/** The projects with an object whose manager's URN starts with `prefix`. */
async function projectsManagedBy(db: Kysely<Database>, prefix: string): Promise<string[]> {
  const managed = sql`starts_with(managed_by->>'urn', ${prefix})`;
  const { rows } = await sql<{ project: string }>`
    select name as project from projects where ${managed}
    union select project from environments where ${managed}
    union select project from quotas where ${managed}
    union select project from resource_defaults where project is not null and ${managed}
    union select project from secrets where ${managed}
    union select project from role_bindings where ${managed}
    order by project`.execute(db);
  return rows.map((row) => row.project);
}

export function stackObjectsService(db: Kysely<Database>, readers: Readers) {
  return {
    async get(actor: Actor, query: unknown): Promise<StackObjects> {
      const { stack } = parseOrThrow(stackObjectsQuerySchema, query, "stack objects query");
      const projects: StackObjects["projects"] = [];
      for (const project of await projectsManagedBy(db, `${stack}::`)) {
        try {
          projects.push(await readers.projectObjects.get(actor, project));
        } catch (err) {
          // Not readable by the caller (not wholly: see the project objects), or deleted since.
          if (!(TenancyError.isInstance(err) && (err.code === "not_found" || err.code === "forbidden")))
            throw err;
        }
      }
      return { projects, domains: await readers.domains.list(actor) };
    },
  };
}
