// Where the store keeps each quota dimension of the registry (model/dimensions.ts): the limit's
// column on quotas and ceilings, the totals' column (used_*) on environments and ceilings, and a
// reservation's amount. Quantities are kept in milli-units, the count as it is.
import { quotaDimensionRegistry, type QuotaDimensionInfo } from "../../model";
import type { ReservationTable, UsageTotals } from "./schema";

export type UsedColumn = keyof UsageTotals & string;
export type AmountColumn = Extract<keyof ReservationTable, `${string}_milli` | "executions">;

export interface DimensionColumns {
  dimension: QuotaDimensionInfo;
  used: UsedColumn;
  amount: AmountColumn;
}

export const dimensionColumns: readonly DimensionColumns[] = quotaDimensionRegistry.map((dimension) => ({
  dimension,
  used: (dimension.quantity ? `used_${dimension.usage}_milli` : `used_${dimension.usage}`) as UsedColumn,
  amount: (dimension.quantity ? `${dimension.usage}_milli` : dimension.usage) as AmountColumn,
}));

/** One value per totals column, from what each dimension's columns give. */
export function perUsedColumn<T>(value: (columns: DimensionColumns) => T): Record<UsedColumn, T> {
  return Object.fromEntries(dimensionColumns.map((c) => [c.used, value(c)])) as Record<UsedColumn, T>;
}
