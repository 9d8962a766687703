import { z } from "zod";
import { teamCreateSchema, type Team } from "../model";
import { orUndefined } from "../client";
import { defined, patchOf, providerFor, type KindSpec, type Meta, registered } from "./kind-provider";

export const teamInputsSchema = teamCreateSchema;
export type TeamInputs = z.output<typeof teamInputsSchema>;
export type TeamOutputs = TeamInputs & Meta;
const mutable = ["displayName", "description", "members"] as const;

export const teamSpec = {
  ...registered("Team"),
  schema: teamInputsSchema,
  id: (inputs) => inputs.name,
  get: (api, inputs) => orUndefined(api.teams.get(inputs.name)),
  create: (api, inputs) => api.teams.create(inputs),
  // Dropping `members` from the program gives the list up (null): the members stay, managed by hand
  // or by TeamMember resources from then on.
  update: (api, olds, news) => api.teams.update(olds.name, patchOf(mutable, olds, news), olds.version),
  delete: (api, olds) => api.teams.delete(olds.name, olds.version),
  toOutputs: (live, inputs) =>
    defined({
      name: live.name,
      displayName: live.displayName,
      description: live.description,
      // Only a declared list is compared: then a member added or removed elsewhere shows as drift.
      members: inputs.members !== undefined ? live.members : undefined,
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<TeamInputs, Team, TeamOutputs>;

export const teamProvider = providerFor(teamSpec);
