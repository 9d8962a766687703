// The one place where a refusal the store decided becomes the error a caller reads. The store's
// functions (server/store/functions) judge the rules and answer what refused the write as data: a
// code, the rule, the scope, and per dimension the numbers. Nothing here judges again; it words.
import { z } from "zod";
import {
  TenancyError,
  ceilingId,
  environmentId,
  formatQuantity,
  quotaDimensionRegistry,
  type QuotaDimensionInfo,
  type ErrorTarget,
  type FieldError,
} from "../../model";
import { ifMatchRequired, versionMismatch } from "./errors";
import { claimMovedOn, managedByOf } from "./ownership";

const scopeSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("environment"), project: z.string(), environment: z.string() }),
  z.object({ kind: z.literal("project"), project: z.string() }),
  z.object({ kind: z.literal("domain"), domain: z.string() }),
]);
type Scope = z.output<typeof scopeSchema>;

/** A dimension, as the store's functions name it: by its name in usage. */
const dimensionSchema = z.string().transform((usage, ctx) => {
  const dimension = quotaDimensionRegistry.find((d) => d.usage === usage);
  if (!dimension) ctx.addIssue({ code: "custom", message: `no dimension ${usage}` });
  return dimension ?? z.NEVER;
});

export const refusalSchema = z.discriminatedUnion("rule", [
  z.object({
    code: z.literal("quota_exceeded"),
    rule: z.literal("admission"),
    scope: scopeSchema,
    over: z.array(
      z.object({ dimension: dimensionSchema, limit: z.string(), used: z.string(), requested: z.string() }),
    ),
  }),
  z.object({
    code: z.literal("quota_exceeded"),
    rule: z.literal("allocation"),
    scope: scopeSchema,
    over: z.array(z.object({ dimension: dimensionSchema, limit: z.string(), allocated: z.string() })),
  }),
  z.object({
    code: z.literal("validation_failed"),
    rule: z.literal("defaults"),
    scope: scopeSchema,
    over: z.array(
      z.object({
        part: z.enum(["requests", "limits"]),
        dimension: dimensionSchema,
        value: z.string(),
        source: z.string(),
        limit: z.string(),
      }),
    ),
  }),
  z.object({
    code: z.literal("conflict"),
    rule: z.literal("claim"),
    managedBy: z
      .object({ stack: z.string(), urn: z.string(), deletedWith: z.string().optional() })
      .nullable(),
  }),
  z.object({ code: z.literal("validation_failed"), rule: z.literal("if-match") }),
  z.object({
    code: z.literal("version_mismatch"),
    rule: z.literal("version"),
    expected: z.number().int(),
    actual: z.number().int(),
  }),
]);
export type Refusal = z.output<typeof refusalSchema>;

function scopeName(scope: Scope): string {
  switch (scope.kind) {
    case "environment":
      return environmentId(scope.project, scope.environment);
    case "project":
      return ceilingId({ kind: "project", project: scope.project });
    case "domain":
      return ceilingId({ kind: "domain", domain: scope.domain });
  }
}

/** An amount of a dimension, from the store's milli-units (a count as it is). */
function amount(dimension: QuotaDimensionInfo, value: string): string {
  return dimension.quantity ? formatQuantity(BigInt(value)) : String(Number(value));
}

/** The error a refusal stands for; `target` is the object the refused write was to. */
export function refusalError(target: ErrorTarget, data: unknown): TenancyError {
  const refusal = refusalSchema.parse(data);
  switch (refusal.rule) {
    case "admission": {
      const over = refusal.over.map(({ dimension, limit, used, requested }) =>
        dimension.quantity
          ? `${dimension.usage}: ${amount(dimension, used)} in use + ${amount(dimension, requested)} requested > ${limit}`
          : `${dimension.usage}: ${amount(dimension, used)} running + ${amount(dimension, requested)} requested > ${limit}`,
      );
      const id = scopeName(refusal.scope);
      const what =
        refusal.scope.kind === "environment" ? `the quota of environment ${id}` : `the ceiling ${id}`;
      return new TenancyError(
        "quota_exceeded",
        `${what} does not admit this reservation (${over.join("; ")})`,
        {
          target: { kind: "Quota", id },
        },
      );
    }
    case "allocation": {
      const errors: FieldError[] = refusal.over.map(({ dimension, limit, allocated }) => {
        const path = dimension.field;
        return {
          path,
          message: `${path}: the quotas below add up to ${amount(dimension, allocated)} > ${limit}`,
        };
      });
      const id = scopeName(refusal.scope);
      return new TenancyError(
        "quota_exceeded",
        `the ceiling ${id} does not hold (${errors.map((e) => e.message).join("; ")})`,
        { target: { kind: "Quota", id }, errors },
      );
    }
    case "defaults": {
      const errors: FieldError[] = refusal.over.map(({ part, dimension, value, source, limit }) => ({
        path: `${part}.${dimension.field}`,
        message: `${value} (set by ${source}) is above the quota's ${dimension.field} of ${limit}`,
      }));
      const id = scopeName(refusal.scope);
      return new TenancyError(
        "validation_failed",
        `defaults for environment ${id} exceed its quota: ${errors.map((e) => `${e.path} ${e.message}`).join("; ")}`,
        { errors, target: { kind: "Environment", id } },
      );
    }
    case "claim":
      return claimMovedOn(
        target.kind,
        target.id,
        refusal.managedBy && managedByOf({ managed_by: refusal.managedBy }),
      );
    case "if-match":
      return ifMatchRequired(target.kind, target.id);
    case "version":
      return versionMismatch(target.kind, target.id, refusal.expected, refusal.actual);
  }
}

/** What a statement raises (SQLSTATE TY002, the refusal in its detail) when its rule refuses a write
 * that it must undo: a quota or a transfer that a ceiling above no longer holds. */
export const refusedAndUndone = "TY002";
