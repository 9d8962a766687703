import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/** tenancy_fits for the count of concurrent executions. */
export const tenancyFitsExecutions: StoredFunction = {
  name: "tenancy_fits_executions",
  definition: sql`
  create or replace function tenancy_fits_executions(allowed integer, used bigint, requested integer) returns boolean
  language sql immutable parallel safe as $$
    select allowed is null or requested = 0 or used + requested <= allowed
  $$`,
};
