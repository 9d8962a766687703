// The closed registry of error codes. Every layer raises and maps these, so a code means the same
// thing in the service, over HTTP (as application/problem+json) and in the Pulumi provider.

/** Stable error codes and the HTTP status each maps to. */
export const errorCodes = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  protected: 409,
  quota_exceeded: 409,
  archived: 409,
  version_mismatch: 412,
  gone: 410,
  payload_too_large: 413,
  rate_limited: 429,
  internal: 500,
  unavailable: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

/** One problem with one field of a request, `path` in dotted form (`requests.cpu`). */
export interface FieldError {
  path: string;
  message: string;
}

/** The Pulumi resource that manages an object: its stack and URN. */
export interface ManagedBy {
  stack: string;
  urn: string;
  /** The URN of the environment resource the object goes with (see managedBySchema). */
  deletedWith?: string;
}

/** Who manages an object, in words: `by <urn> (stack <stack>)`, or by hand when no resource does. */
export function describeManager(managedBy: ManagedBy | null | undefined): string {
  if (!managedBy) return "by hand (no Pulumi resource)";
  // The directory's teams (model/scim.ts): named as what users know it by.
  if (managedBy.stack === "scim") return `by the directory (SCIM, ${managedBy.urn})`;
  return `by ${managedBy.urn} (stack ${managedBy.stack})`;
}

/** The object an error concerns, e.g. `{ kind: "Environment", id: "web/production" }`. */
export interface ErrorTarget {
  kind: string;
  id: string;
}

const brand = "__tenancyError";

/** An error with a stable code, the fields that are wrong and the object it concerns. */
export class TenancyError extends Error {
  readonly [brand] = true;
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly options: {
      errors?: FieldError[];
      target?: ErrorTarget;
      retryAfterSeconds?: number;
      /** Set when a write is refused because another resource (or a person: null) manages the
       * object now: the writer's claim has moved on. */
      managedBy?: ManagedBy | null;
      /** With `gone`: the change feed's current revision, to follow from after listing afresh. */
      revision?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "TenancyError";
    this.status = errorCodes[code];
  }

  get errors(): FieldError[] | undefined {
    return this.options.errors;
  }

  get target(): ErrorTarget | undefined {
    return this.options.target;
  }

  /** Present (null: made by hand) when the object is managed by someone else now. */
  get managedBy(): ManagedBy | null | undefined {
    return this.options.managedBy;
  }

  /** True for a TenancyError from any copy of this module (several copies can be loaded). */
  static isInstance(value: unknown): value is TenancyError {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[brand] === true;
  }
}

/** The body of an error response (RFC 9457 problem details plus our code and field errors). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  errors?: FieldError[];
  target?: ErrorTarget;
  managedBy?: ManagedBy | null;
  revision?: number;
}

const titles: Record<ErrorCode, string> = {
  validation_failed: "Validation failed",
  unauthorized: "Unauthorized",
  forbidden: "Forbidden",
  not_found: "Not found",
  conflict: "Conflict",
  protected: "Protected",
  quota_exceeded: "Quota exceeded",
  archived: "Archived",
  version_mismatch: "Version mismatch",
  gone: "Gone",
  payload_too_large: "Payload too large",
  rate_limited: "Rate limited",
  internal: "Internal error",
  unavailable: "Unavailable",
};

export function toProblem(error: TenancyError): Problem {
  return {
    type: `https://tenancy.dev/errors/${error.code}`,
    title: titles[error.code],
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.errors ? { errors: error.errors } : {}),
    ...(error.target ? { target: error.target } : {}),
    ...(error.managedBy !== undefined ? { managedBy: error.managedBy } : {}),
    ...(error.options.revision !== undefined ? { revision: error.options.revision } : {}),
  };
}

/** Rebuilds the error a problem body describes (the client's side of `toProblem`). */
export function fromProblem(problem: Problem): TenancyError {
  const code = (problem.code in errorCodes ? problem.code : "internal") as ErrorCode;
  return new TenancyError(code, problem.detail, {
    ...(problem.errors ? { errors: problem.errors } : {}),
    ...(problem.target ? { target: problem.target } : {}),
    ...(problem.managedBy !== undefined ? { managedBy: problem.managedBy } : {}),
    ...(problem.revision !== undefined ? { revision: problem.revision } : {}),
  });
}
