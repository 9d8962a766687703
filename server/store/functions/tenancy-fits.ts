import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/** Whether a reservation of `requested` fits `allowed` given `used` (milli-units): a dimension not
 * asked for is not judged, so usage past a lowered limit blocks nothing else, and a limit that does
 * not read as a quantity refuses. */
export const tenancyFits: StoredFunction = {
  name: "tenancy_fits",
  definition: sql`
  create or replace function tenancy_fits(allowed text, used numeric, requested numeric) returns boolean
  language sql immutable parallel safe as $$
    select allowed is null or requested = 0
      or coalesce(used + requested <= tenancy_quantity_milli(allowed), false)
  $$`,
};
