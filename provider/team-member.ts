import { z } from "zod";
import { memberSubjectSchema, nameSchema, teamMemberId, type TeamMember } from "../model";
import { orUndefined } from "../client";
import { providerFor, type KindSpec, type Meta, registered } from "./kind-provider";

export const teamMemberInputsSchema = z.strictObject({ team: nameSchema, subject: memberSubjectSchema });
export type TeamMemberInputs = z.output<typeof teamMemberInputsSchema>;
export type TeamMemberOutputs = TeamMemberInputs & Meta;

export const teamMemberSpec = {
  ...registered("TeamMember"),
  schema: teamMemberInputsSchema,
  id: (inputs) => teamMemberId(inputs.team, inputs.subject),
  // A membership is its identity: any change is a new membership.
  get: (api, inputs) => orUndefined(api.teams.members.get(inputs.team, inputs.subject)),
  create: (api, inputs) => api.teams.members.add(inputs.team, inputs.subject),
  update: () => Promise.reject(new Error("memberships are replaced, never updated")),
  // Adding again with adoption moves the membership's claim to this resource.
  takeOver: (api, _current, news) => api.teams.members.add(news.team, news.subject),
  delete: (api, olds) => api.teams.members.remove(olds.team, olds.subject),
  toOutputs: (live) => ({
    team: live.team,
    subject: live.subject,
    version: live.version,
    createdAt: live.createdAt,
    updatedAt: live.updatedAt,
  }),
} satisfies KindSpec<TeamMemberInputs, TeamMember, TeamMemberOutputs>;

export const teamMemberProvider = providerFor(teamMemberSpec);
