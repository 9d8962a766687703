// Schema migrations, applied in order by Kysely's Migrator. The same SQL runs on PostgreSQL and
// PGlite; every invariant that SQL can hold (references, uniqueness, cascades on transfer) lives
// here, so it holds whoever writes to the database. A released migration is never edited: a change
// is a new migration. Stored functions live in ../functions, one file each with its current body.
import type { Migration, MigrationProvider } from "kysely/migration";
import { migration as initial } from "./0001-initial";
import { migration as sealedSettings } from "./0002-sealed-settings";
import { migration as ownership } from "./0003-ownership";
import { migration as identitiesAndCeilings } from "./0004-identities-and-ceilings";
import { migration as ceilingUsage } from "./0005-ceiling-usage";
import { migration as reservationHistory } from "./0006-reservation-history";
import { migration as environmentUsage } from "./0007-environment-usage";
import { migration as admissionFunction } from "./0008-admission-function";
import { migration as quotaWriteFunction } from "./0009-quota-write-function";
import { migration as cachedHelpers } from "./0010-cached-helpers";
import { migration as groupAdmission } from "./0011-group-admission";
import { migration as refusalsAsData } from "./0012-refusals-as-data";
import { migration as changeFeed } from "./0013-change-feed";
import { migration as clusters } from "./0014-clusters";
import { migration as clusterStatus } from "./0015-cluster-status";
import { migration as syncTokens } from "./0016-sync-tokens";
import { migration as approvals } from "./0017-approvals";
import { migration as directory } from "./0018-directory";

/** The migrations by name, in the order they run (the names sort in that order). */
export const migrations: Record<string, Migration> = {
  "0001_initial": initial,
  "0002_sealed_settings": sealedSettings,
  "0003_ownership": ownership,
  "0004_identities_and_ceilings": identitiesAndCeilings,
  "0005_ceiling_usage": ceilingUsage,
  "0006_reservation_history": reservationHistory,
  "0007_environment_usage": environmentUsage,
  "0008_admission_function": admissionFunction,
  "0009_quota_write_function": quotaWriteFunction,
  "0010_cached_helpers": cachedHelpers,
  "0011_group_admission": groupAdmission,
  "0012_refusals_as_data": refusalsAsData,
  "0013_change_feed": changeFeed,
  "0014_clusters": clusters,
  "0015_cluster_status": clusterStatus,
  "0016_sync_tokens": syncTokens,
  "0017_approvals": approvals,
  "0018_directory": directory,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
