import { z } from "zod";
import { nameSchema, secretBindingId, secretCreateSchema, type SecretBinding } from "../model";
import { orUndefined } from "../client";
import { defined, providerFor, type KindSpec, type Meta, registered } from "./kind-provider";
import { environmentIn } from "./shared-reads";

export const secretBindingInputsSchema = secretCreateSchema.safeExtend({
  project: nameSchema,
  environment: nameSchema,
});
export type SecretBindingInputs = z.output<typeof secretBindingInputsSchema>;

export type SecretBindingOutputs = SecretBindingInputs & Meta & { valueVersion: number };

export const secretBindingSpec = {
  ...registered("SecretBinding"),
  schema: secretBindingInputsSchema,
  id: (inputs) => secretBindingId(inputs.project, inputs.environment, inputs.name),
  followsEnvironment: true,
  recordsDeletedWith: true,
  secretFields: ["value"],
  get: (api, inputs) => orUndefined(api.secrets.get(inputs.project, inputs.environment, inputs.name)),
  shared: {
    project: (inputs) => inputs.project,
    find: (objects, inputs) =>
      environmentIn(objects, inputs.environment)?.secrets.find((secret) => secret.name === inputs.name),
  },
  create: (api, { project, environment, ...body }) => api.secrets.create(project, environment, body),
  update(api, olds, news) {
    const patch = defined({
      value: news.value !== undefined && news.value !== olds.value ? news.value : undefined,
      reference:
        news.reference !== undefined && news.reference !== olds.reference ? news.reference : undefined,
      description: news.description !== olds.description ? (news.description ?? null) : undefined,
    });
    return api.secrets.update(olds.project, olds.environment, olds.name, patch, olds.version);
  },
  delete: (api, olds) => api.secrets.delete(olds.project, olds.environment, olds.name, olds.version),
  toOutputs(live, inputs, previous) {
    // The control plane never returns a value. The declared one stands, unless the value was
    // rotated outside the stack since: then it is dropped, so the next `pulumi up` restores it.
    const rotatedElsewhere = previous !== undefined && previous.valueVersion !== live.valueVersion;
    return defined({
      project: live.project,
      environment: live.environment,
      name: live.name,
      value: live.kind === "value" && !rotatedElsewhere ? inputs.value : undefined,
      reference: live.reference,
      description: live.description,
      valueVersion: live.valueVersion,
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    });
  },
} satisfies KindSpec<SecretBindingInputs, SecretBinding, SecretBindingOutputs>;

export const secretBindingProvider = providerFor(secretBindingSpec);
