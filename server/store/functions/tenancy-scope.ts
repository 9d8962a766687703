import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/** Where a refusal applies, as the server's refusals read it (server/service/refusals.ts): an
 * environment, or the project or domain a ceiling sits on. */
export const tenancyScope: StoredFunction = {
  name: "tenancy_scope",
  definition: sql`
  create or replace function tenancy_scope(p_project text, p_environment text, p_domain text) returns jsonb
  language sql immutable parallel safe as $$
    select case
      when p_environment is not null
        then jsonb_build_object('kind', 'environment', 'project', p_project, 'environment', p_environment)
      when p_project is not null then jsonb_build_object('kind', 'project', 'project', p_project)
      else jsonb_build_object('kind', 'domain', 'domain', p_domain)
    end
  $$`,
};
