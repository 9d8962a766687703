// Between database rows and model objects: timestamps, nullable columns, jsonb values.

export function iso(value: Date | string): string {
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** Drops null columns so optional model fields are absent rather than null. */
export function optional<T>(value: T | null): T | undefined {
  return value === null ? undefined : value;
}

/** A jsonb column's value: SQL NULL for undefined and null. */
export function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(value);
}
