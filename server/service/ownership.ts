// Ownership: every object records the Pulumi resource that manages it (managed_by: stack and URN)
// and a claim that changes at each create or adoption. A write that carries a claim the object no
// longer holds is refused, naming the current manager, so a resource whose object was taken over
// (replaced, adopted) never changes or deletes the new owner's object.
import { TenancyError, describeManager, directoryManager, type ManagedBy } from "../../model";
import type { ManagedByColumn } from "../store/schema";
import { json } from "./rows";
import { writeContext } from "./write-context";

/** The stored owner as the model shows it. */
export function managedByOf(row: { managed_by: ManagedByColumn | null }): ManagedBy | null {
  if (row.managed_by === null) return null;
  const { stack, urn, deletedWith } = row.managed_by;
  return { stack, urn, ...(deletedWith !== undefined ? { deletedWith } : {}) };
}

/** The ownership columns of a new row: the writer's, or none for an object made by hand. */
export function ownershipOnCreate() {
  const { owner, claim } = writeContext();
  return { managed_by: json(owner ?? null), claim: claim ?? null };
}

/**
 * The ownership columns an update sets: the writer's when it adopts the object or is its manager
 * (which environment it goes with may have changed), else unchanged.
 */
export function ownershipOnUpdate(before: { managed_by: ManagedByColumn | null }) {
  return ownershipTaken(before) ?? {};
}

/** The ownership columns an update sets, or undefined when it leaves them as they are. */
function ownershipTaken(before: { managed_by: ManagedByColumn | null }) {
  const { adopt, owner } = writeContext();
  return adopt || (owner !== undefined && owner.urn === before.managed_by?.urn)
    ? ownershipOnCreate()
    : undefined;
}

/** Refuses an update or delete whose claim the object no longer holds (unless it adopts it). */
export function checkClaim(
  kind: string,
  id: string,
  row: { claim: string | null; managed_by: ManagedByColumn | null },
) {
  const { adopt, claim } = writeContext();
  if (adopt || claim === undefined || row.claim === claim) return;
  throw claimMovedOn(kind, id, managedByOf(row));
}

/** The conflict of a write whose claim on the object has moved on to `managedBy`. */
export function claimMovedOn(kind: string, id: string, managedBy: ManagedBy | null): TenancyError {
  return new TenancyError(
    "conflict",
    `${kind} ${id} is managed ${describeManager(managedBy)} now: this resource's claim on it has moved on`,
    { target: { kind, id }, managedBy },
  );
}

/** Refuses changing a team the directory keeps (SCIM), or its members, unless the write adopts it:
 * who is in it is the identity provider's to say. */
export function refuseDirectoryTeam(
  kind: string,
  id: string,
  team: { name: string; managed_by: ManagedByColumn | null },
) {
  if (team.managed_by?.stack !== directoryManager || writeContext().adopt) return;
  const managedBy = managedByOf(team);
  throw new TenancyError(
    "conflict",
    `team ${team.name} is managed ${describeManager(managedBy)}: change its members in the identity provider, ` +
      "or adopt the team (adopt: true) to manage it here",
    { target: { kind, id }, managedBy },
  );
}
