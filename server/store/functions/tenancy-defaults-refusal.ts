import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/**
 * The rule that no default asks one workload for more than its environment's quota. The default
 * that applies on each dimension is the environment's, over the project's, over the domain's.
 * Null when every applied default is within `p_limits` (a quota's columns); else the refusal
 * (server/service/refusals.ts) with `{part, dimension, value, source, limit}` for each one over, in
 * the order requests, limits and the quota's fields. Quota writes and defaults writes ask it.
 */
export const tenancyDefaultsRefusal: StoredFunction = {
  name: "tenancy_defaults_refusal",
  definition: sql`
  create or replace function tenancy_defaults_refusal(
    p_project text, p_environment text, p_domain text, p_limits jsonb
  ) returns jsonb language plpgsql stable parallel safe as $$
  begin
    return (
      select jsonb_build_object('code', 'validation_failed', 'rule', 'defaults',
          'scope', tenancy_scope(p_project, p_environment, null),
          'over', jsonb_agg(jsonb_build_object('part', part.name, 'dimension', l.dimension,
            'value', applied.value, 'source', applied.source, 'limit', p_limits->>l.dimension) order by part.n, l.n))
        from (values (1, 'requests'), (2, 'limits')) part(n, name)
          cross join (values (1, 'cpu'), (2, 'memory'), (3, 'gpu'), (4, 'storage')) l(n, dimension)
          cross join lateral (
            select (case part.name when 'requests' then d.requests else d.limits end)->>l.dimension as value,
                case when d.domain is not null then 'domain:' || d.domain
                  when d.environment is null then 'project:' || d.project
                  else 'project:' || d.project || '/environment:' || d.environment end as source
              from resource_defaults d
              where (d.domain = p_domain
                  or (d.project = p_project and (d.environment is null or d.environment = p_environment)))
                and (case part.name when 'requests' then d.requests else d.limits end)->>l.dimension is not null
              order by case when d.domain is not null then 0 when d.environment is null then 1 else 2 end desc
              limit 1
          ) applied
        where p_limits->>l.dimension is not null
          and not coalesce(tenancy_quantity_milli(applied.value) <= tenancy_quantity_milli(p_limits->>l.dimension), false)
        having count(*) > 0
    );
  end
  $$`,
};
