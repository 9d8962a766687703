import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/**
 * The rule of a ceiling: the quotas below it add up to no more than it on every dimension it sets.
 * Null when it holds; else the refusal (server/service/refusals.ts) naming the ceiling, with
 * `{dimension, limit, allocated}` for each dimension over. Every write that changes what lies below
 * a ceiling (the ceiling itself, a quota, a transfer) asks it, with the ceiling's row locked.
 */
export const tenancyAllocationRefusal: StoredFunction = {
  name: "tenancy_allocation_refusal",
  definition: sql`
  create or replace function tenancy_allocation_refusal(c ceilings) returns jsonb
  language plpgsql stable parallel safe as $$
  begin
    return (
      select jsonb_build_object('code', 'quota_exceeded', 'rule', 'allocation',
          'scope', tenancy_scope(c.project, null, c.domain),
          'over', jsonb_agg(jsonb_build_object('dimension', d.dimension, 'limit', d.limit_value,
            'allocated', a.allocation->>d.dimension) order by d.n))
        from (select tenancy_allocation(c) as allocation) a
          cross join (values (1, 'cpu', c.cpu), (2, 'memory', c.memory), (3, 'gpu', c.gpu),
            (4, 'storage', c.storage), (5, 'executions', c.max_concurrent_executions::text)) d(n, dimension, limit_value)
        where case when d.dimension = 'executions'
          then not tenancy_fits_executions(c.max_concurrent_executions, 0, (a.allocation->>'executions')::integer)
          else not tenancy_fits(d.limit_value, 0, (a.allocation->>d.dimension)::numeric)
        end
        having count(*) > 0
    );
  end
  $$`,
};
