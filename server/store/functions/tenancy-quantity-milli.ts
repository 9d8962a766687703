import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/** A limit, stored as quantity text, in milli-units: read exactly as model/quantity.ts parses it
 * (test/api/admission-sql.spec.ts checks the two agree); null when it does not read as a quantity.
 * PL/pgSQL, which keeps its plan for the session (a SQL function with a FROM clause is planned again
 * in every statement that calls it). */
export const tenancyQuantityMilli: StoredFunction = {
  name: "tenancy_quantity_milli",
  definition: sql`
  create or replace function tenancy_quantity_milli(quantity text) returns numeric
  language plpgsql immutable strict parallel safe as $$
  declare
    m text[];
  begin
    m := regexp_match(btrim(quantity), '^([0-9]+(?:[.][0-9]+)?|[.][0-9]+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$');
    return m[1]::numeric * case coalesce(m[2], '')
      when 'm' then 1 when '' then 1000
      when 'k' then 1000000 when 'M' then 1000000000 when 'G' then 1000000000000
      when 'T' then 1000000000000000 when 'P' then 1000000000000000000
      when 'E' then 1000000000000000000000
      when 'Ki' then 1024000 when 'Mi' then 1048576000 when 'Gi' then 1073741824000
      when 'Ti' then 1099511627776000 when 'Pi' then 1125899906842624000
      when 'Ei' then 1152921504606846976000
    end;
  end
  $$`,
};
