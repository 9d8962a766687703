// The tables as Kysely sees them. Column names are snake_case in SQL; the service maps rows to the
// model's camelCase objects.
import type { ColumnType, Generated } from "kysely";
import type { QuotaDimensionInfo } from "../../model";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

/** The Pulumi resource that manages an object, as stored. */
export interface ManagedByColumn {
  stack: string;
  urn: string;
  deletedWith?: string;
}

/** Which Pulumi resource manages a row (see server/service/ownership.ts). */
interface Owned {
  /** Null for an object made by hand. */
  managed_by: ColumnType<ManagedByColumn | null, string | null | undefined, string | null>;
  /** Changes at each create or adoption by a Pulumi resource; writes that carry another are refused. */
  claim: ColumnType<string | null, string | null | undefined, string | null>;
}

interface Versioned extends Owned {
  version: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DomainTable extends Versioned {
  name: string;
  tier: string;
  display_name: string | null;
  description: string | null;
  order: number | null;
  /** The clusters its environments are placed on, unless they name their own. */
  clusters: Json<string[]> | null;
}

export interface ProjectTable extends Versioned {
  name: string;
  display_name: string | null;
  description: string | null;
  labels: Json<Record<string, string>> | null;
  archived: boolean;
}

/** A quantity dimension of the registry (model/dimensions.ts), or the counted one. */
type QuantityDimension = Extract<QuotaDimensionInfo, { quantity: true }>;
type CountedDimension = Extract<QuotaDimensionInfo, { quantity: false }>;

/** The limit columns of a quota or a ceiling, one per dimension: quantity text, or a count. */
type LimitColumns = { [D in QuantityDimension as D["column"]]: string | null } & {
  [D in CountedDimension as D["column"]]: number | null;
};

/** What the live reservations below a row hold, in thousandths (kept by admissions and releases):
 * `used_<dimension>_milli` for each quantity, `used_<dimension>` for the count. */
export type UsageTotals = {
  [D in QuantityDimension as `used_${D["usage"]}_milli`]: ColumnType<
    string,
    string | bigint | undefined,
    string | bigint
  >;
} & {
  [D in CountedDimension as `used_${D["usage"]}`]: ColumnType<
    string,
    string | number | undefined,
    string | number
  >;
};

export interface EnvironmentTable extends Versioned, UsageTotals {
  project: string;
  name: string;
  domain: string;
  description: string | null;
  labels: Json<Record<string, string>> | null;
  protected: boolean;
  /** Its own placement (`[]`: none); null: its domain's. */
  clusters: Json<string[]> | null;
  /** Who approves writes to it and how many of them must (see service/change-requests.ts). */
  approval: Json<{ approvers: string[]; required: number }> | null;
}

export interface QuotaTable extends Versioned, LimitColumns {
  project: string;
  environment: string;
}

export interface ResourceDefaultsTable extends Versioned {
  id: Generated<number>;
  domain: string | null;
  project: string | null;
  environment: string | null;
  requests: Json<Record<string, string>> | null;
  limits: Json<Record<string, string>> | null;
}

export interface SecretTable extends Versioned {
  id: string;
  project: string;
  environment: string;
  name: string;
  kind: string;
  reference: string | null;
  key_id: string | null;
  nonce: Uint8Array | null;
  ciphertext: Uint8Array | null;
  description: string | null;
  value_version: number;
}

export interface RoleBindingTable extends Versioned {
  id: string;
  project: string;
  environment: string | null;
  subject: string;
  role: string;
  /** From this instant it grants nothing; null: it does not expire. */
  expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

/** What a change request's author was when it asked: the write is applied as this actor. */
export interface StoredActor {
  tokenId: string;
  name: string;
  subject: string;
  teams: string[];
  orgAdmin: boolean;
}

export interface ChangeRequestTable {
  id: string;
  project: string;
  environment: string;
  author: string;
  author_actor: Json<StoredActor>;
  operation: string;
  target_kind: string;
  target_id: string;
  write_key_id: string;
  write_nonce: Uint8Array;
  write_ciphertext: Uint8Array;
  write_mac: string;
  diff: Json<{ field: string; before?: unknown; after?: unknown }[]>;
  base_version: number | null;
  status: string;
  comment: string | null;
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface AccessRequestTable {
  id: string;
  project: string;
  environment: string | null;
  requester: string;
  requester_name: string;
  role: string;
  duration_seconds: number;
  reason: string;
  status: string;
  binding_id: string | null;
  binding_expires_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: Timestamp;
  expires_at: Timestamp;
  decided_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface RequestApprovalTable {
  request_id: string;
  approver: string;
  decision: "approve" | "reject";
  comment: string | null;
  at: Timestamp;
}

/** What a reservation holds of each dimension: `<dimension>_milli` for quantities (thousandths of a
 * unit, see model/quantity.ts), the count as it is. */
type ReservationAmounts = {
  [D in QuantityDimension as `${D["usage"]}_milli`]: ColumnType<string, string | bigint, never>;
} & { [D in CountedDimension as D["usage"]]: number };

export interface ReservationTable extends ReservationAmounts {
  id: string;
  project: string;
  environment: string;
  actor: string;
  created_at: Timestamp;
}

export interface ReservationHistoryTable {
  id: string;
  project: string;
  environment: string;
  executions: number;
  admitted_at: Timestamp;
  released_at: Timestamp;
}

export interface TeamTable extends Versioned {
  name: string;
  display_name: string | null;
  description: string | null;
  /** Set while the team's members are declared as one list. */
  members_authoritative: boolean;
  /** The directory group it is, when the directory keeps it (SCIM). */
  scim_id: ColumnType<string | null, string | null | undefined, string | null>;
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** A user the directory provisioned: the subject `user:<user_name>`. */
export interface DirectoryUserTable {
  id: string;
  user_name: string;
  /** user_name lowercased: unique, and what filters compare. */
  user_name_key: string;
  external_id: string | null;
  display_name: string | null;
  active: boolean;
  /** The rest of the SCIM representation (name, emails, …), kept as sent. */
  attributes: Json<Record<string, unknown>>;
  version: ColumnType<number, number | undefined, number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TeamMemberTable extends Versioned {
  team: string;
  subject: string;
}

/** Limits on a project or a domain as a whole (exactly one of the two is set). */
export interface CeilingTable extends Versioned, UsageTotals, LimitColumns {
  id: Generated<number>;
  project: string | null;
  domain: string | null;
}

export interface TokenTable extends Owned {
  id: string;
  name: string;
  subject: string;
  teams: Json<string[]>;
  org_admin: boolean;
  /** A sync token's cluster: it reads only what is placed there, and writes only its status. */
  cluster: ColumnType<string | null, string | null | undefined, never>;
  /** A directory token: it reaches /scim/v2 and nothing else. */
  scim: ColumnType<boolean, boolean | undefined, never>;
  /** sha256 of the token; the token itself is never stored. */
  token_hash: string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  created_at: Timestamp;
}

export interface AuditTable {
  id: Generated<number>;
  at: Timestamp;
  actor: string;
  action: string;
  target_kind: string;
  target_id: string;
  before: Json<unknown> | null;
  after: Json<unknown> | null;
}

export interface SealedSettingTable {
  name: string;
  key_id: string;
  nonce: Uint8Array;
  ciphertext: Uint8Array;
  updated_at: Generated<Date>;
}

export interface IdempotencyTable {
  actor: string;
  key: string;
  fingerprint: string;
  status: number;
  response: Json<unknown>;
  created_at: Timestamp;
}

export interface ClusterTable extends Versioned {
  name: string;
  display_name: string | null;
  description: string | null;
  labels: Json<Record<string, string>> | null;
  /** When its sync last spoke to the control plane, and the process leading it then. */
  last_seen_at: ColumnType<Date | string | null, Date | string | null | undefined, Date | string | null>;
  leader: ColumnType<string | null, string | null | undefined, string | null>;
}

/** What tenancy sync last reported of one environment on one cluster. */
export interface ClusterStatusTable {
  cluster: string;
  project: string;
  environment: string;
  phase: "synced" | "conflict" | "error";
  synced_version: number;
  synced_at: Timestamp;
  message: string | null;
  usage: Json<Record<string, string | number>> | null;
  reported_at: Timestamp;
}

/** One change of the change feed, numbered in commit order (tenancy_record_change). */
export interface ChangeTable {
  revision: ColumnType<string, never, never>;
  at: Timestamp;
  kind: string;
  id: string;
  project: string | null;
  environment: string | null;
  action: "created" | "updated" | "deleted";
}

/** The feed's one row: the last revision drawn, and the last one pruned. */
export interface ChangeFeedTable {
  revision: ColumnType<string, never, string | bigint>;
  pruned_through: ColumnType<string, never, string | bigint>;
}

export interface Database {
  domains: DomainTable;
  projects: ProjectTable;
  environments: EnvironmentTable;
  quotas: QuotaTable;
  resource_defaults: ResourceDefaultsTable;
  secrets: SecretTable;
  role_bindings: RoleBindingTable;
  change_requests: ChangeRequestTable;
  access_requests: AccessRequestTable;
  request_approvals: RequestApprovalTable;
  reservations: ReservationTable;
  reservation_history: ReservationHistoryTable;
  tokens: TokenTable;
  teams: TeamTable;
  team_members: TeamMemberTable;
  directory_users: DirectoryUserTable;
  ceilings: CeilingTable;
  audit: AuditTable;
  idempotency_keys: IdempotencyTable;
  sealed_settings: SealedSettingTable;
  changes: ChangeTable;
  clusters: ClusterTable;
  cluster_status: ClusterStatusTable;
  change_feed: ChangeFeedTable;
}
