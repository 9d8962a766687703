import { z } from "zod";
import { domainSchema } from "./domain";
import { projectObjectsSchema } from "./project-objects";

/** A Pulumi stack, as every URN of its resources begins: `urn:pulumi:<stack>::<project>`. */
export const stackUrnPrefixSchema = z
  .string()
  .max(400)
  .regex(/^urn:pulumi:[^:\s]+::[^:\s]+$/, "must be a stack's URN prefix: urn:pulumi:<stack>::<project>");

export const stackObjectsQuerySchema = z.strictObject({ stack: stackUrnPrefixSchema });

/**
 * What `GET /v1/objects?stack=` answers, so a refresh reads a whole stack in one request: each
 * project in which the stack manages an object and the caller may read, whole (as
 * `GET /v1/projects/{p}/objects` answers it), and every domain.
 */
export const stackObjectsSchema = z.object({
  projects: z.array(projectObjectsSchema),
  domains: z.array(domainSchema),
});
export type StackObjects = z.output<typeof stackObjectsSchema>;

/** The stack a resource's URN belongs to, as `stackObjectsQuerySchema` takes it. */
export function stackOfUrn(urn: string): string | undefined {
  const [stack, project] = urn.split("::");
  if (stack === undefined || project === undefined) return undefined;
  const prefix = `${stack}::${project}`;
  return stackUrnPrefixSchema.safeParse(prefix).success ? prefix : undefined;
}
