// Team memberships: one at a time, by hand or from TeamMember resources. A membership of a team
// whose Team resource declares its list is a conflict (teams.ts keeps the list as a whole).
import type { Selectable } from "kysely";
import {
  TenancyError,
  describeManager,
  memberSubjectSchema,
  parseOrThrow,
  teamMemberId,
  type TeamMember,
} from "../../model";
import type { TeamMemberTable } from "../store/schema";
import { requireOrgAdmin } from "./access";
import { systemClock, type Actor, type Queryable, type ServiceDeps } from "./context";
import { notFound } from "./errors";
import { checkClaim, managedByOf, ownershipOnCreate, refuseDirectoryTeam } from "./ownership";
import { iso } from "./rows";
import { audit, transaction } from "./transaction";
import { writeContext } from "./write-context";

const kind = "Team";
const memberKind = "TeamMember";

export function toMember(row: Selectable<TeamMemberTable>): TeamMember {
  return {
    team: row.team,
    subject: row.subject,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

export async function loadTeam(q: Queryable, name: string, forUpdate = false) {
  let query = q.selectFrom("teams").selectAll().where("name", "=", name);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(kind, name);
  return row;
}

export async function memberRows(q: Queryable, team: string) {
  return q.selectFrom("team_members").selectAll().where("team", "=", team).orderBy("subject").execute();
}

export function teamMemberService({ db, clock = systemClock }: ServiceDeps) {
  return {
    async list(_actor: Actor, team: string): Promise<TeamMember[]> {
      await loadTeam(db, team);
      return (await memberRows(db, team)).map(toMember);
    },

    async get(_actor: Actor, team: string, subject: string): Promise<TeamMember> {
      await loadTeam(db, team);
      const row = await db
        .selectFrom("team_members")
        .selectAll()
        .where("team", "=", team)
        .where("subject", "=", subject)
        .executeTakeFirst();
      if (!row) throw notFound(memberKind, teamMemberId(team, subject));
      return toMember(row);
    },

    /**
     * Adds a member; takes effect on the next request. By hand it is idempotent. From a Pulumi
     * resource (a TeamMember) it is refused while the team's list is declared as a whole, and
     * over a membership another resource manages.
     */
    async add(actor: Actor, team: string, subjectText: string): Promise<TeamMember> {
      requireOrgAdmin(actor, "change team members");
      const subject = parseOrThrow(memberSubjectSchema, subjectText, "member");
      const id = teamMemberId(team, subject);
      return transaction(db, { kind: memberKind, id }, async (tx) => {
        const teamRow = await loadTeam(tx, team, true);
        refuseDirectoryTeam(memberKind, id, teamRow);
        const { adopt, owner } = writeContext();
        if (owner !== undefined && teamRow.members_authoritative) {
          throw new TenancyError(
            "conflict",
            `team ${team} declares its members as one list (managed ${describeManager(managedByOf(teamRow))}): ` +
              `add ${subject} to that list, or drop members from the Team and keep TeamMember resources`,
            { target: { kind: memberKind, id }, managedBy: managedByOf(teamRow) },
          );
        }
        const existing = await tx
          .selectFrom("team_members")
          .selectAll()
          .where("team", "=", team)
          .where("subject", "=", subject)
          .forUpdate()
          .executeTakeFirst();
        const now = clock.now();
        if (existing) {
          if (owner === undefined && !adopt) return toMember(existing);
          if (!adopt && existing.managed_by?.urn !== owner?.urn) {
            throw new TenancyError(
              "conflict",
              `${subject} is already a member of team ${team}, managed ${describeManager(managedByOf(existing))}`,
              { target: { kind: memberKind, id } },
            );
          }
          const row = await tx
            .updateTable("team_members")
            .set({ ...ownershipOnCreate(), version: existing.version + 1, updated_at: now })
            .where("team", "=", team)
            .where("subject", "=", subject)
            .returningAll()
            .executeTakeFirstOrThrow();
          await audit(
            tx,
            actor,
            now,
            "team.member.adopt",
            { kind: memberKind, id },
            toMember(existing),
            toMember(row),
          );
          return toMember(row);
        }
        const row = await tx
          .insertInto("team_members")
          .values({ ...ownershipOnCreate(), team, subject, created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(tx, actor, now, "team.member.add", { kind: memberKind, id }, undefined, toMember(row));
        return toMember(row);
      });
    },

    /** Removes a member; the team's roles leave it on the next request. */
    async remove(actor: Actor, team: string, subject: string): Promise<void> {
      requireOrgAdmin(actor, "change team members");
      const id = teamMemberId(team, subject);
      await transaction(db, { kind: memberKind, id }, async (tx) => {
        refuseDirectoryTeam(memberKind, id, await loadTeam(tx, team, true));
        const before = await tx
          .selectFrom("team_members")
          .selectAll()
          .where("team", "=", team)
          .where("subject", "=", subject)
          .forUpdate()
          .executeTakeFirst();
        if (!before) throw notFound(memberKind, id);
        checkClaim(memberKind, id, before);
        await tx.deleteFrom("team_members").where("team", "=", team).where("subject", "=", subject).execute();
        await audit(
          tx,
          actor,
          clock.now(),
          "team.member.remove",
          { kind: memberKind, id },
          toMember(before),
          undefined,
        );
      });
    },
  };
}
