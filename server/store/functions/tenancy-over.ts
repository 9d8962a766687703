import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/**
 * The dimensions on which a reservation of `p_requested` does not fit `p_limits` given `p_used`
 * (tenancy_fits decides each), as a refusal lists them: `{dimension, limit, used, requested}`, in
 * the order of the quota's fields. `p_limits` has a quota's columns; `p_used` and `p_requested` the
 * dimensions in milli-units, executions as a count.
 */
export const tenancyOver: StoredFunction = {
  name: "tenancy_over",
  definition: sql`
  create or replace function tenancy_over(p_limits jsonb, p_used jsonb, p_requested jsonb) returns jsonb
  language sql immutable parallel safe as $$
    select coalesce(jsonb_agg(jsonb_build_object('dimension', d.dimension, 'limit', p_limits->>d.column_name,
        'used', p_used->>d.dimension, 'requested', p_requested->>d.dimension) order by d.n), '[]'::jsonb)
      from (values (1, 'cpu', 'cpu'), (2, 'memory', 'memory'), (3, 'gpu', 'gpu'), (4, 'storage', 'storage'),
          (5, 'executions', 'max_concurrent_executions')) d(n, dimension, column_name)
      where case when d.dimension = 'executions'
        then not tenancy_fits_executions((p_limits->>d.column_name)::integer,
          (p_used->>d.dimension)::bigint, (p_requested->>d.dimension)::integer)
        else not tenancy_fits(p_limits->>d.column_name,
          (p_used->>d.dimension)::numeric, (p_requested->>d.dimension)::numeric)
      end
  $$`,
};
