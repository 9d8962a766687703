import { z } from "zod";
import { descriptionSchema, displayNameSchema, metaSchema, nameSchema, subjectSchema } from "./common";

/** A member of a team: a user or a service (teams do not nest). */
export const memberSubjectSchema = subjectSchema.refine(
  (s) => !s.startsWith("team:"),
  "members are user:<id> or service:<id> subjects (teams do not nest)",
);

/** The authoritative member list of a team: each subject once, kept sorted so equal lists compare equal. */
export const membersSchema = z
  .array(memberSubjectSchema)
  .max(1000)
  .superRefine((members, ctx) => {
    const seen = new Set<string>();
    members.forEach((member, i) => {
      if (seen.has(member)) ctx.addIssue({ code: "custom", path: [i], message: `${member} is listed twice` });
      seen.add(member);
    });
  })
  .transform((members) => [...members].sort());

/** Creating a team. `members`, when given, is the authoritative list: the team is then managed
 * as a whole, and memberships added elsewhere by another Pulumi resource are refused. */
export const teamCreateSchema = z.strictObject({
  name: nameSchema,
  displayName: displayNameSchema.optional(),
  description: descriptionSchema.optional(),
  members: membersSchema.optional(),
});
export type TeamCreate = z.output<typeof teamCreateSchema>;

/** Changing a team: `name` is immutable; null clears a field (`members: null` gives up the
 * authoritative list and keeps the current members). */
export const teamPatchSchema = z.strictObject({
  displayName: displayNameSchema.nullable().optional(),
  description: descriptionSchema.nullable().optional(),
  members: membersSchema.nullable().optional(),
});
export type TeamPatch = z.output<typeof teamPatchSchema>;

export const teamSchema = z
  .object({
    name: nameSchema,
    displayName: displayNameSchema.optional(),
    description: descriptionSchema.optional(),
    /** Every member, however it was added, sorted. */
    members: z.array(z.string()),
    /** True when the team's members are declared as one list (a Team with `members`). */
    membersAuthoritative: z.boolean(),
  })
  .extend(metaSchema.shape);
export type Team = z.output<typeof teamSchema>;

/** One membership. */
export const teamMemberSchema = z.object({ team: nameSchema, subject: z.string() }).extend(metaSchema.shape);
export type TeamMember = z.output<typeof teamMemberSchema>;

/** The Pulumi id of a membership: `team/subject`. */
export function teamMemberId(team: string, subject: string): string {
  return `${team}/${subject}`;
}
