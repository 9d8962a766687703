import { z } from "zod";
import { nameSchema, roleBindingCreateSchema, roleBindingKey, type RoleBinding } from "../model";
import { defined, providerFor, type KindSpec, type Meta, registered } from "./kind-provider";

export const roleBindingInputsSchema = roleBindingCreateSchema.extend({ project: nameSchema });
export type RoleBindingInputs = z.output<typeof roleBindingInputsSchema>;

export type RoleBindingOutputs = RoleBindingInputs & Meta & { bindingId: string };

export const roleBindingSpec = {
  ...registered("RoleBinding"),
  schema: roleBindingInputsSchema,
  id: (inputs) => roleBindingKey(inputs),
  // A binding is its identity: any change is a new binding.
  followsEnvironment: true,
  async get(api, inputs) {
    const bindings = await api.roleBindings
      .list(inputs.project, defined({ environment: inputs.environment, subject: inputs.subject }))
      .catch((err: { code?: string }) => {
        if (err.code === "not_found") return [];
        throw err;
      });
    return bindings.find((b) => b.role === inputs.role && b.environment === inputs.environment);
  },
  shared: {
    project: (inputs) => inputs.project,
    find: (objects, inputs) =>
      objects.roleBindings.find(
        (b) => b.subject === inputs.subject && b.role === inputs.role && b.environment === inputs.environment,
      ),
  },
  create: (api, { project, ...body }) => api.roleBindings.create(project, body),
  update: () => Promise.reject(new Error("role bindings are replaced, never updated")),
  // A binding has no update: the control plane moves an existing binding's claim on create.
  takeOver: (api, _current, news) =>
    api.roleBindings.create(
      news.project,
      defined({
        environment: news.environment,
        subject: news.subject,
        role: news.role,
        expiresAt: news.expiresAt,
      }),
    ),
  delete: (api, olds) => api.roleBindings.delete(olds.project, olds.bindingId),
  toOutputs: (live, inputs) =>
    defined({
      project: live.project,
      environment: live.environment,
      subject: live.subject,
      role: live.role,
      // The same instant as declared reads back as declared (the control plane spells it in UTC).
      expiresAt:
        inputs.expiresAt !== undefined &&
        live.expiresAt !== undefined &&
        Date.parse(inputs.expiresAt) === Date.parse(live.expiresAt)
          ? inputs.expiresAt
          : live.expiresAt,
      bindingId: live.id,
      version: live.version,
      createdAt: live.createdAt,
      updatedAt: live.updatedAt,
    }),
} satisfies KindSpec<RoleBindingInputs, RoleBinding, RoleBindingOutputs>;

export const roleBindingProvider = providerFor(roleBindingSpec);
