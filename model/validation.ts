import type { z } from "zod";
import { TenancyError, type FieldError } from "./errors";

/** Dotted path of a zod issue (`requests.cpu`), or the root marker `(body)`. */
export function issuePath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? "(body)" : path.map(String).join(".");
}

export function fieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.map((issue) => ({ path: issuePath(issue.path), message: issue.message }));
}

/** Parses `input` or throws `validation_failed` with every wrong field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    const errors = fieldErrors(result.error);
    const summary = errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    throw new TenancyError("validation_failed", `invalid ${what}: ${summary}`, { errors });
  }
  return result.data;
}
