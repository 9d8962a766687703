// The dimensions a quota limits, declared once: every layer that lists them (the zod schemas, the
// store's columns and statements, the console, the CLI's tables, the SDK's arguments, the policies)
// reads this registry.

/**
 * One dimension. `field`: its name in a quota and a ceiling; `usage`: its name in usage,
 * reservations and the store's refusals; `column`: the store's column of the limit; `label`: how
 * the console and the CLI name it; `quantity`: a Kubernetes quantity (milli-units in the store),
 * else a count.
 */
export const quotaDimensionRegistry = [
  { field: "cpu", usage: "cpu", column: "cpu", label: "CPU", quantity: true },
  { field: "memory", usage: "memory", column: "memory", label: "Memory", quantity: true },
  { field: "gpu", usage: "gpu", column: "gpu", label: "GPU", quantity: true },
  { field: "storage", usage: "storage", column: "storage", label: "Storage", quantity: true },
  {
    field: "maxConcurrentExecutions",
    usage: "executions",
    column: "max_concurrent_executions",
    label: "Executions",
    quantity: false,
  },
] as const;

export type QuotaDimensionInfo = (typeof quotaDimensionRegistry)[number];
/** A dimension by its field in a quota. */
export type QuotaDimension = QuotaDimensionInfo["field"];
/** The dimensions measured as quantities: the resource kinds workloads request. */
export type ResourceKind = Extract<QuotaDimensionInfo, { quantity: true }>["field"];
/** The one counted dimension, by its name in usage. */
export type CountDimension = Extract<QuotaDimensionInfo, { quantity: false }>["usage"];

/** The dimensions a quota limits, in its own field names. */
export const quotaDimensions: readonly QuotaDimension[] = quotaDimensionRegistry.map((d) => d.field);

/** The four resource kinds tenancy accounts for in quantities. */
export const resourceKinds = quotaDimensionRegistry
  .filter((d): d is Extract<QuotaDimensionInfo, { quantity: true }> => d.quantity)
  .map((d) => d.field);

/** The counted dimension. */
export const countDimension = quotaDimensionRegistry.find(
  (d): d is Extract<QuotaDimensionInfo, { quantity: false }> => !d.quantity,
)!;
