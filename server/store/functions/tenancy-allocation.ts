import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/** What the quotas of the environments below a ceiling add up to: each quantity in milli-units
 * (text, exact), executions as a count. */
export const tenancyAllocation: StoredFunction = {
  name: "tenancy_allocation",
  definition: sql`
  create or replace function tenancy_allocation(c ceilings) returns jsonb
  language plpgsql stable parallel safe as $$
  begin
    return (
      select jsonb_build_object(
          'cpu', trunc(coalesce(sum(tenancy_quantity_milli(q.cpu)), 0))::text,
          'memory', trunc(coalesce(sum(tenancy_quantity_milli(q.memory)), 0))::text,
          'gpu', trunc(coalesce(sum(tenancy_quantity_milli(q.gpu)), 0))::text,
          'storage', trunc(coalesce(sum(tenancy_quantity_milli(q.storage)), 0))::text,
          'executions', coalesce(sum(q.max_concurrent_executions), 0))
        from quotas q
          join environments e on e.project = q.project and e.name = q.environment
        where e.project = c.project or e.domain = c.domain
    );
  end
  $$`,
};
