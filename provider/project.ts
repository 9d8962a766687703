import { z } from "zod";
import { projectCreateSchema, type Project } from "../model";
import { orUndefined } from "../client";
import {
  declaredFlag,
  defined,
  patchOf,
  providerFor,
  type KindSpec,
  type Meta,
  registered,
} from "./kind-provider";

export const projectInputsSchema = projectCreateSchema;
export type ProjectInputs = z.output<typeof projectInputsSchema>;
export type ProjectOutputs = ProjectInputs & Meta;
const mutable = ["displayName", "description", "labels", "archived"] as const;

export const projectSpec = {
  ...registered("Project"),
  schema: projectInputsSchema,
  id: (inputs) => inputs.name,
  get: (api, inputs) => orUndefined(api.projects.get(inputs.name)),
  shared: { project: (inputs) => inputs.name, find: (objects) => objects.project },
  create: (api, inputs) => api.projects.create(inputs),
  // `archived` defaults to false: dropping it from the program unarchives.
  update: (api, olds, news) =>
    api.projects.update(
      olds.name,
      patchOf(mutable, olds, { ...news, archived: news.archived ?? false }),
      olds.version,
    ),
  delete: (api, olds) => api.projects.delete(olds.name, olds.version),
  toOutputs: (live, inputs) =>
    defined({
      name: live.name,
      displayName: live.displayName,
      description: live.description,
      labels: live.labels,
      archived: declaredFlag(inputs.archived, live.archived),
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<ProjectInputs, Project, ProjectOutputs>;

export const projectProvider = providerFor(projectSpec);
