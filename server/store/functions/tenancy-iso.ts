import { sql } from "kysely";
import type { StoredFunction } from "./stored-function";

/** A timestamp as the API writes it (iso(), server/service/rows.ts). */
export const tenancyIso: StoredFunction = {
  name: "tenancy_iso",
  definition: sql`
  create or replace function tenancy_iso(at timestamptz) returns text
  language sql stable strict parallel safe as $$
    select to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  $$`,
};
