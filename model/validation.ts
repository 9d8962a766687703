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

// NUL cannot be stored in PostgreSQL text, and a lone surrogate is not text at all (it would be
// stored as U+FFFD): both are refused where they arrive, with the field they are in.
const nul = "\u0000";
const loneSurrogate = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function textProblem(text: string): string | undefined {
  if (text.includes(nul)) return "contains a NUL character";
  if (loneSurrogate.test(text)) return "contains a lone UTF-16 surrogate (not valid Unicode)";
  return undefined;
}

/** Every string (keys included) in a parsed JSON value that cannot be stored as text, with its path
 * (`prefix.a.b`; the root of a body has no prefix). */
export function unstorableText(value: unknown, prefix = ""): FieldError[] {
  const errors: FieldError[] = [];
  const at = (key: string) => (prefix === "" ? key : `${prefix}.${key}`);
  if (typeof value === "string") {
    const problem = textProblem(value);
    if (problem) errors.push({ path: prefix === "" ? "(body)" : prefix, message: problem });
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => errors.push(...unstorableText(item, at(String(i)))));
  } else if (typeof value === "object" && value !== null) {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem) errors.push({ path: at(JSON.stringify(key)), message: `key ${keyProblem}` });
      errors.push(...unstorableText(item, at(key)));
    }
  }
  return errors;
}
