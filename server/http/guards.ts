// Which environment each guarded write touches, and its target as it is now: what the change
// request of a write by someone other than the environment's approvers records.
import { isDeepStrictEqual } from "node:util";
import { environmentId, roleBindingKey, secretBindingId, type FieldChange } from "../../model";
import type { Service } from "../service";
import { orMissing, type Guard, type RouteRequest } from "./route";

type EnvParams = RouteRequest<"project" | "environment">;

/** The environment itself (its fields, its deletion, its transfer). */
export const environmentGuard = async (s: Service, r: EnvParams): Promise<Guard> => ({
  project: r.params.project,
  environment: r.params.environment,
  target: { kind: "Environment", id: environmentId(r.params.project, r.params.environment) },
  read: () => orMissing(s.environments.get(r.actor, r.params.project, r.params.environment)),
});

export const quotaGuard = async (s: Service, r: EnvParams): Promise<Guard> => ({
  project: r.params.project,
  environment: r.params.environment,
  target: { kind: "Quota", id: environmentId(r.params.project, r.params.environment) },
  read: () => orMissing(s.quotas.get(r.actor, r.params.project, r.params.environment)),
});

export const defaultsGuard = async (s: Service, r: EnvParams): Promise<Guard> => ({
  project: r.params.project,
  environment: r.params.environment,
  target: { kind: "ResourceDefaults", id: environmentId(r.params.project, r.params.environment) },
  read: () =>
    orMissing(
      s.defaults.get(r.actor, {
        kind: "environment",
        project: r.params.project,
        environment: r.params.environment,
      }),
    ),
});

/** A secret binding named by the path, or (on create) by the body. */
export const secretGuard = async (s: Service, r: EnvParams) => {
  const params: Record<string, string> = r.params;
  const name = params.name ?? String((r.body as { name?: unknown } | undefined)?.name ?? "");
  const { project, environment } = r.params;
  return {
    project,
    environment,
    target: { kind: "SecretBinding", id: secretBindingId(project, environment, name) },
    read: () => orMissing(s.secrets.get(r.actor, project, environment, name)),
  } satisfies Guard;
};

/** A role binding on one environment (project-wide bindings are not under any environment). */
export const roleBindingCreateGuard = async (s: Service, r: RouteRequest<"project">) => {
  const body = (r.body ?? {}) as { environment?: unknown; subject?: unknown; role?: unknown };
  if (typeof body.environment !== "string") return undefined;
  const identity = {
    project: r.params.project,
    environment: body.environment,
    subject: String(body.subject),
    role: String(body.role),
  };
  return {
    project: identity.project,
    environment: identity.environment,
    target: { kind: "RoleBinding", id: roleBindingKey(identity) },
    read: async () =>
      (
        await orMissing(
          s.roleBindings.list(r.actor, identity.project, {
            environment: identity.environment,
            subject: identity.subject,
          }),
        )
      )?.find((b) => b.role === identity.role),
  } satisfies Guard;
};

export const roleBindingDeleteGuard = async (s: Service, r: RouteRequest<"project" | "id">) => {
  const binding = await orMissing(s.roleBindings.get(r.actor, r.params.project, r.params.id));
  if (binding?.environment === undefined) return undefined;
  return {
    project: binding.project,
    environment: binding.environment,
    target: { kind: "RoleBinding", id: roleBindingKey(binding) },
    read: () => orMissing(s.roleBindings.get(r.actor, r.params.project, r.params.id)),
  } satisfies Guard;
};

/** Fields that say nothing about what an object is: a write that changes only these (an owner
 * taking its object back after an approved change, say) is no change to approve. */
const bookkeeping = new Set([
  "version",
  "createdAt",
  "updatedAt",
  "managedBy",
  "usage",
  "id",
  "valueVersion",
]);

/**
 * What a write changes, field by field, from the object before to the object it would leave
 * (undefined: none, as after a delete). A secret's value is never shown: a new value or reference
 * shows as `value: (changed)`.
 */
export function changeOf(before: object | undefined, after: object | undefined): FieldChange[] {
  const was = (before ?? {}) as Record<string, unknown>;
  const will = (after ?? {}) as Record<string, unknown>;
  const changes: FieldChange[] = [];
  if (before === undefined && after === undefined) return changes;
  for (const field of [...new Set([...Object.keys(was), ...Object.keys(will)])].sort()) {
    if (bookkeeping.has(field)) continue;
    if (isDeepStrictEqual(was[field], will[field])) continue;
    changes.push({
      field,
      ...(was[field] !== undefined ? { before: was[field] } : {}),
      ...(will[field] !== undefined ? { after: will[field] } : {}),
    });
  }
  if (was.valueVersion !== will.valueVersion) {
    changes.push({
      field: "value",
      ...(after !== undefined ? { after: "(changed)" } : { before: "(removed)" }),
    });
  }
  if (changes.length === 0 && (before === undefined) !== (after === undefined)) {
    changes.push({
      field: "(object)",
      ...(after !== undefined ? { after: "(created)" } : { before: "(deleted)" }),
    });
  }
  return changes;
}
