// Teams: groups of users and services. A role binding for `team:<name>` covers every member the
// store lists (read at each request, see access.ts) as well as tokens that carry the team. A team
// is managed either as a whole (its `members` list is authoritative) or one membership at a time;
// a Pulumi resource doing the one while another does the other is a conflict.
import type { Selectable } from "kysely";
import {
  TenancyError,
  describeManager,
  parseOrThrow,
  teamCreateSchema,
  teamPatchSchema,
  type Team,
} from "../../model";
import type { TeamMemberTable, TeamTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import {
  systemClock,
  type Actor,
  type ExpectedVersion,
  type Queryable,
  type ServiceDeps,
  type Tx,
} from "./context";
import { checkVersion, requireExpectedVersion } from "./errors";
import { createOnce } from "./idempotency";
import {
  checkClaim,
  managedByOf,
  ownershipOnCreate,
  ownershipOnUpdate,
  refuseDirectoryTeam,
} from "./ownership";
import { iso, optional } from "./rows";
import { audit, transaction } from "./transaction";
import { loadTeam, memberRows, teamMemberService } from "./team-members";

const kind = "Team";

function toTeam(row: Selectable<TeamTable>, members: string[]): Team {
  return {
    name: row.name,
    displayName: optional(row.display_name),
    description: optional(row.description),
    members,
    membersAuthoritative: row.members_authoritative,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

/** A team's list cannot be declared while Pulumi resources (TeamMembers) manage memberships of it. */
function refuseListOverMemberships(team: string, rows: Selectable<TeamMemberTable>[]) {
  const managed = rows.filter((r) => r.managed_by !== null);
  if (managed.length === 0) return;
  const managers = managed.slice(0, 3).map((r) => `${r.subject} ${describeManager(managedByOf(r))}`);
  throw new TenancyError(
    "conflict",
    `team ${team} has memberships managed one by one (${managers.join("; ")}${managed.length > 3 ? "; …" : ""}): ` +
      "keep either the Team's members list or those TeamMember resources, not both",
    {
      target: { kind, id: team },
      errors: [{ path: "members", message: "memberships are managed one by one" }],
    },
  );
}

/** Makes the team's members exactly `members`; returns them. */
async function replaceMembers(tx: Tx, team: string, members: string[], now: Date) {
  const current = await memberRows(tx, team);
  refuseListOverMemberships(team, current);
  const gone = current.filter((r) => !members.includes(r.subject)).map((r) => r.subject);
  if (gone.length > 0) {
    await tx.deleteFrom("team_members").where("team", "=", team).where("subject", "in", gone).execute();
  }
  const added = members.filter((m) => !current.some((r) => r.subject === m));
  if (added.length > 0) {
    await tx
      .insertInto("team_members")
      .values(added.map((subject) => ({ team, subject, created_at: now, updated_at: now })))
      .execute();
  }
  return members;
}

export function teamService({ db, keyring, clock = systemClock }: ServiceDeps) {
  async function read(q: Queryable, name: string) {
    const row = await loadTeam(q, name);
    return toTeam(
      row,
      (await memberRows(q, name)).map((m) => m.subject),
    );
  }

  return {
    /** Every team with its members. Any token may read teams: who holds a role through a team is
     * part of reading that role. */
    async list(_actor: Actor): Promise<Team[]> {
      const [teams, members] = await Promise.all([
        db.selectFrom("teams").selectAll().orderBy("name").execute(),
        db.selectFrom("team_members").select(["team", "subject"]).orderBy("subject").execute(),
      ]);
      const byTeam = new Map<string, string[]>();
      for (const m of members) byTeam.set(m.team, [...(byTeam.get(m.team) ?? []), m.subject]);
      return teams.map((t) => toTeam(t, byTeam.get(t.name) ?? []));
    },

    async get(_actor: Actor, name: string): Promise<Team> {
      return read(db, name);
    },

    async create(actor: Actor, body: unknown, idempotencyKey?: string): Promise<Team> {
      requireOrgAdmin(actor, "create teams");
      const input = parseOrThrow(teamCreateSchema, body, "team");
      const target = { kind, id: input.name };
      const request = { key: idempotencyKey, operation: "team.create", body: input };
      return createOnce(db, keyring, actor, request, target, async (tx) => {
        const now = clock.now();
        const row = await tx
          .insertInto("teams")
          .values({
            ...ownershipOnCreate(),
            name: input.name,
            display_name: input.displayName ?? null,
            description: input.description ?? null,
            members_authoritative: input.members !== undefined,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        const members = await replaceMembers(tx, input.name, input.members ?? [], now);
        const created = toTeam(row, members);
        await audit(tx, actor, now, "team.create", target, undefined, created);
        return created;
      });
    },

    async update(actor: Actor, name: string, body: unknown, expected: ExpectedVersion): Promise<Team> {
      requireOrgAdmin(actor, "change teams");
      const patch = parseOrThrow(teamPatchSchema, body, "team change");
      const version = requireExpectedVersion(expected, kind, name);
      return transaction(db, { kind, id: name }, async (tx) => {
        const before = await loadTeam(tx, name, true);
        refuseDirectoryTeam(kind, name, before);
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        const beforeMembers = (await memberRows(tx, name)).map((m) => m.subject);
        const now = clock.now();
        const members = patch.members ? await replaceMembers(tx, name, patch.members, now) : beforeMembers;
        const row = await tx
          .updateTable("teams")
          .set({
            ...(patch.displayName !== undefined ? { display_name: patch.displayName } : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            ...(patch.members !== undefined ? { members_authoritative: patch.members !== null } : {}),
            ...ownershipOnUpdate(before),
            version: before.version + 1,
            updated_at: now,
          })
          .where("name", "=", name)
          .returningAll()
          .executeTakeFirstOrThrow();
        const after = toTeam(row, members);
        await audit(tx, actor, now, "team.update", { kind, id: name }, toTeam(before, beforeMembers), after);
        return after;
      });
    },

    /** Its members go with it. Role bindings naming the team stay: they still cover tokens that
     * carry the team. */
    async remove(actor: Actor, name: string, expected: ExpectedVersion): Promise<void> {
      requireOrgAdmin(actor, "delete teams");
      const version = requireExpectedVersion(expected, kind, name);
      await transaction(db, { kind, id: name }, async (tx) => {
        const before = await loadTeam(tx, name, true);
        refuseDirectoryTeam(kind, name, before);
        checkClaim(kind, name, before);
        checkVersion(kind, name, version, before);
        const members = (await memberRows(tx, name)).map((m) => m.subject);
        await tx.deleteFrom("teams").where("name", "=", name).execute();
        await audit(
          tx,
          actor,
          clock.now(),
          "team.delete",
          { kind, id: name },
          toTeam(before, members),
          undefined,
        );
      });
    },

    members: teamMemberService({ db, keyring, clock }),
  };
}
