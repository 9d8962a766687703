// The directory's vocabulary (SCIM 2.0, RFC 7643/7644): the schemas' URNs, the bodies identity
// providers send (as they send them: Entra ID's "False" for false, any case of a patch op), the
// error an answer carries, and how a group's displayName becomes a team's name.
import { z } from "zod";
import { maxNameLength, namePattern } from "./names";
import { subjectPattern } from "./common";

export const scimSchemas = {
  user: "urn:ietf:params:scim:schemas:core:2.0:User",
  group: "urn:ietf:params:scim:schemas:core:2.0:Group",
  enterpriseUser: "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
  list: "urn:ietf:params:scim:api:messages:2.0:ListResponse",
  patch: "urn:ietf:params:scim:api:messages:2.0:PatchOp",
  error: "urn:ietf:params:scim:api:messages:2.0:Error",
  serviceProviderConfig: "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig",
  resourceType: "urn:ietf:params:scim:schemas:core:2.0:ResourceType",
  schema: "urn:ietf:params:scim:schemas:core:2.0:Schema",
} as const;

/** The manager (`managedBy.stack`) of the teams the directory keeps. */
export const directoryManager = "scim";

/** RFC 7644 §3.12's scimType values this server answers with. */
export type ScimType =
  | "invalidFilter"
  | "invalidSyntax"
  | "invalidPath"
  | "invalidValue"
  | "noTarget"
  | "uniqueness"
  | "mutability"
  | "tooMany";

/** An answer in the SCIM error schema. */
export class ScimError extends Error {
  readonly scimError = true;
  constructor(
    readonly status: number,
    detail: string,
    readonly scimType?: ScimType,
  ) {
    super(detail);
    this.name = "ScimError";
  }

  static isInstance(err: unknown): err is ScimError {
    return typeof err === "object" && err !== null && (err as { scimError?: unknown }).scimError === true;
  }

  toBody() {
    return {
      schemas: [scimSchemas.error],
      status: String(this.status),
      ...(this.scimType ? { scimType: this.scimType } : {}),
      detail: this.message,
    };
  }
}

/** A boolean as identity providers send one: Entra ID sends "True" and "False". */
export const scimBooleanSchema = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, "must be true or false")
    .transform((s) => s.toLowerCase() === "true"),
]);

const userNameSchema = z
  .string()
  .min(1)
  .max(200)
  .refine((name) => subjectPattern.test(`user:${name}`), {
    message: "must be letters, digits and . _ @ + - (it becomes the subject user:<userName>)",
  });

/** A User as a client creates or replaces it; attributes this server does not interpret are kept. */
export const scimUserBodySchema = z.looseObject({
  userName: userNameSchema,
  externalId: z.string().max(500).nullish(),
  displayName: z.string().max(500).nullish(),
  active: scimBooleanSchema.optional(),
});
export type ScimUserBody = z.output<typeof scimUserBodySchema>;

export const scimMemberSchema = z.looseObject({ value: z.string().min(1).max(200) });

export const scimGroupBodySchema = z.looseObject({
  displayName: z.string().min(1).max(500),
  externalId: z.string().max(500).nullish(),
  members: z.array(scimMemberSchema).max(10_000).nullish(),
});
export type ScimGroupBody = z.output<typeof scimGroupBodySchema>;

export const scimPatchSchema = z.looseObject({
  Operations: z
    .array(
      z.looseObject({
        op: z.string().regex(/^(add|replace|remove)$/i, "must be add, replace or remove"),
        path: z.string().max(1000).optional(),
        value: z.unknown().optional(),
      }),
    )
    .min(1)
    .max(1000),
});
export type ScimPatchBody = z.output<typeof scimPatchSchema>;

/** The team a group's displayName names: lowercase, other characters to '-', starting with a
 * letter, at most the longest name. "Platform Leads" → "platform-leads". */
export function teamNameOf(displayName: string): string {
  let name = displayName
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(name)) name = `g-${name}`;
  name = name.slice(0, maxNameLength).replace(/-+$/, "");
  return namePattern.test(name) ? name : "group";
}
