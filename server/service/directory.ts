// The directory (SCIM 2.0): the users an identity provider provisions and the groups it keeps as
// teams. A user is the subject user:<userName>; a group is a team the directory manages, its
// members the directory's. Deprovisioning a user (active false, or its deletion) revokes its tokens
// and ends its memberships in the same transaction. Filters are parsed by scim2-parse-filter and
// patches applied by scim-patch; what is stored, and the rules, are ours.
import { randomUUID } from "node:crypto";
import { sql, type Selectable } from "kysely";
import { filter as filterOf, parse as parseFilter, type Filter } from "scim2-parse-filter";
import { scimPatch, type ScimPatchOperation, type ScimResource } from "scim-patch";
import type { z } from "zod";
import {
  ScimError,
  directoryManager,
  scimGroupBodySchema,
  scimPatchSchema,
  scimSchemas,
  scimUserBodySchema,
  teamNameOf,
  type ScimGroupBody,
  type ScimUserBody,
} from "../../model";
import type { DirectoryUserTable, TeamTable } from "../store/schema";
import { systemClock, type Actor, type Queryable, type ServiceDeps, type Tx } from "./context";
import { iso, json } from "./rows";
import { audit, transaction } from "./transaction";

const maxPage = 1000;

/** A body as the schema reads it, or 400 invalidValue naming the field. */
function bodyOf<S extends z.ZodType>(schema: S, body: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join(".") || "(body)";
  throw new ScimError(400, `${what}: ${field}: ${issue.message}`, "invalidValue");
}

/** The manager stored on a directory team and its memberships. */
const managerOf = (groupId: string) => json({ stack: directoryManager, urn: `Groups/${groupId}` });

/** The directory speaks in the audit log as itself: its token's name, marked as the directory's. */
const asDirectory = (actor: Actor): Actor => ({ ...actor, name: `scim:${actor.name}` });

const userMeta = (row: Selectable<DirectoryUserTable>) => ({
  resourceType: "User",
  created: iso(row.created_at),
  lastModified: iso(row.updated_at),
  version: `W/"${row.version}"`,
});

function toUser(row: Selectable<DirectoryUserTable>) {
  return {
    ...row.attributes,
    schemas: [scimSchemas.user, ...extensionsOf(row.attributes)],
    id: row.id,
    ...(row.external_id !== null ? { externalId: row.external_id } : {}),
    userName: row.user_name,
    ...(row.display_name !== null ? { displayName: row.display_name } : {}),
    active: row.active,
    meta: userMeta(row),
  };
}
export type ScimUser = ReturnType<typeof toUser>;

/** The extension schemas a stored user carries (the enterprise one, as Entra ID sends it). */
function extensionsOf(attributes: Record<string, unknown>): string[] {
  return Object.keys(attributes).filter((key) => key.startsWith("urn:"));
}

/** The attributes kept as sent: everything this server does not interpret itself. */
function keptAttributes(body: Record<string, unknown>): Record<string, unknown> {
  const {
    schemas: _s,
    id: _i,
    meta: _m,
    userName: _u,
    externalId: _e,
    displayName: _d,
    active: _a,
    ...rest
  } = body;
  return rest;
}

type TeamRow = Selectable<TeamTable>;

async function groupOf(q: Queryable, team: TeamRow) {
  const members = await q
    .selectFrom("team_members as m")
    .innerJoin("directory_users as u", (join) => join.on(sql<boolean>`m.subject = 'user:' || u.user_name`))
    .select(["u.id", "u.user_name"])
    .where("m.team", "=", team.name)
    .orderBy("u.user_name")
    .execute();
  return {
    schemas: [scimSchemas.group],
    id: team.scim_id!,
    displayName: team.display_name ?? team.name,
    ...(team.external_id !== null ? { externalId: team.external_id } : {}),
    members: members.map((m) => ({ value: m.id, display: m.user_name })),
    meta: {
      resourceType: "Group",
      created: iso(team.created_at),
      lastModified: iso(team.updated_at),
      version: `W/"${team.version}"`,
    },
  };
}
export type ScimGroup = Awaited<ReturnType<typeof groupOf>>;

/** A list's page, per RFC 7644 §3.4.2.4: startIndex from 1, count at most `maxPage`. */
export interface Page {
  filter?: string;
  startIndex?: number;
  count?: number;
}

/** The parsed filter, with userName compared regardless of case (it is caseExact false). */
function parsedFilter(text: string | undefined): Filter | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let ast: Filter;
  try {
    ast = parseFilter(text);
  } catch (err) {
    throw new ScimError(
      400,
      `filter ${JSON.stringify(text)} cannot be parsed: ${(err as Error).message}`,
      "invalidFilter",
    );
  }
  const lowerUserName = (f: Filter): Filter => {
    if (f.op === "and" || f.op === "or") return { ...f, filters: f.filters.map(lowerUserName) };
    if (f.op === "not") return { ...f, filter: lowerUserName(f.filter) };
    if (f.op === "[]") return { ...f, valFilter: lowerUserName(f.valFilter) };
    if (
      f.op !== "pr" &&
      "compValue" in f &&
      f.attrPath.toLowerCase() === "username" &&
      typeof f.compValue === "string"
    )
      return { ...f, compValue: f.compValue.toLowerCase() };
    return f;
  };
  return lowerUserName(ast);
}

/** The values a filter pins `attribute` to with `eq` at its top level (alone or in an `and`). */
function pinned(ast: Filter | undefined, attribute: string): string | undefined {
  if (!ast) return undefined;
  if (ast.op === "eq" && ast.attrPath.toLowerCase() === attribute.toLowerCase())
    return typeof ast.compValue === "string" ? ast.compValue : undefined;
  if (ast.op === "and") {
    for (const f of ast.filters) {
      const value = pinned(f, attribute);
      if (value !== undefined) return value;
    }
  }
  return undefined;
}

function pageOf<T>(all: T[], page: Page) {
  const startIndex = Math.max(1, Math.trunc(page.startIndex ?? 1));
  const count = Math.min(maxPage, Math.max(0, Math.trunc(page.count ?? 100)));
  const resources = all.slice(startIndex - 1, startIndex - 1 + count);
  return {
    schemas: [scimSchemas.list],
    totalResults: all.length,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** Patch operations as identity providers send them, made RFC-shaped: any case of `op`; Entra ID's
 * `{op: remove, path: members, value: [{value}]}` removes those listed only. */
function normalisedOperations(body: unknown): ScimPatchOperation[] {
  const { Operations } = bodyOf(scimPatchSchema, body, "PatchOp");
  return Operations.flatMap((operation): ScimPatchOperation[] => {
    const op = operation.op.toLowerCase() as "add" | "replace" | "remove";
    const path = operation.path;
    if (op === "remove" && path?.toLowerCase() === "members" && Array.isArray(operation.value)) {
      return (operation.value as { value?: unknown }[]).map((member) => {
        if (typeof member?.value !== "string") {
          throw new ScimError(400, "members to remove are {value: <id>}", "invalidValue");
        }
        return { op, path: `members[value eq ${JSON.stringify(member.value)}]` };
      });
    }
    if (op === "remove") {
      if (path === undefined) throw new ScimError(400, "a remove operation needs a path", "noTarget");
      return [{ op, path }];
    }
    return [{ op, ...(path !== undefined ? { path } : {}), value: operation.value }];
  });
}

/** `resource` with the patch applied, its errors answered as SCIM's. */
function patched<T extends object>(resource: T, operations: ScimPatchOperation[]): Record<string, unknown> {
  try {
    return scimPatch(resource as unknown as ScimResource, operations, {
      mutateDocument: false,
      treatMissingAsAdd: true,
    }) as unknown as Record<string, unknown>;
  } catch (err) {
    const scimType = (err as { scimCode?: string }).scimCode;
    throw new ScimError(
      400,
      `the patch cannot be applied: ${(err as Error).message}`,
      scimType === "noTarget" || scimType === "invalidPath" ? scimType : "invalidValue",
    );
  }
}

export function directoryService({ db, clock = systemClock }: ServiceDeps) {
  /** A user's row; `lock` holds it until the transaction ends. */
  async function userRow(q: Queryable, id: string, lock = false) {
    const query = q.selectFrom("directory_users").selectAll().where("id", "=", id);
    const row = await (lock ? query.forUpdate() : query).executeTakeFirst();
    if (!row) throw new ScimError(404, `no User ${id}`);
    return row;
  }

  async function groupRow(q: Queryable, id: string, lock = false) {
    const query = q.selectFrom("teams").selectAll().where("scim_id", "=", id);
    const row = await (lock ? query.forUpdate() : query).executeTakeFirst();
    if (!row) throw new ScimError(404, `no Group ${id}`);
    return row;
  }

  async function refuseTakenUserName(tx: Tx, userName: string, id?: string) {
    const taken = await tx
      .selectFrom("directory_users")
      .select("id")
      .where("user_name_key", "=", userName.toLowerCase())
      .executeTakeFirst();
    if (taken && taken.id !== id) throw new ScimError(409, `userName ${userName} is taken`, "uniqueness");
  }

  /**
   * Ends a user's access: its tokens revoked and its team memberships gone, in the caller's
   * transaction; its next request is unauthorized. The teams it left move to a new version.
   */
  async function deprovision(tx: Tx, actor: Actor, user: Selectable<DirectoryUserTable>, now: Date) {
    const subject = `user:${user.user_name}`;
    const revoked = await tx
      .updateTable("tokens")
      .set({ revoked_at: now })
      .where("subject", "=", subject)
      .where("revoked_at", "is", null)
      .returning("id")
      .execute();
    const left = await tx
      .deleteFrom("team_members")
      .where("subject", "=", subject)
      .returning("team")
      .execute();
    const teams = [...new Set(left.map((m) => m.team))].sort();
    if (teams.length > 0) {
      await tx
        .updateTable("teams")
        .set((eb) => ({ version: eb("version", "+", 1), updated_at: now }))
        .where("name", "in", teams)
        .execute();
    }
    await audit(
      tx,
      asDirectory(actor),
      now,
      "user.deprovision",
      { kind: "User", id: user.user_name },
      undefined,
      {
        subject,
        revokedTokens: revoked.map((t) => t.id),
        teams,
      },
    );
  }

  /** Writes a user from a create's or replace's body; deprovisions it when it turns inactive. */
  async function writeUser(
    tx: Tx,
    actor: Actor,
    input: ScimUserBody,
    before?: Selectable<DirectoryUserTable>,
  ) {
    const now = clock.now();
    await refuseTakenUserName(tx, input.userName, before?.id);
    const values = {
      user_name: input.userName,
      user_name_key: input.userName.toLowerCase(),
      external_id: input.externalId ?? null,
      display_name: input.displayName ?? null,
      active: input.active ?? true,
      attributes: JSON.stringify(keptAttributes(input)),
      updated_at: now,
    };
    let row: Selectable<DirectoryUserTable>;
    if (before) {
      row = await tx
        .updateTable("directory_users")
        .set({ ...values, version: before.version + 1 })
        .where("id", "=", before.id)
        .returningAll()
        .executeTakeFirstOrThrow();
      if (before.user_name !== row.user_name) {
        // Renamed: its memberships follow it to the new subject.
        await tx
          .updateTable("team_members")
          .set({ subject: `user:${row.user_name}`, updated_at: now })
          .where("subject", "=", `user:${before.user_name}`)
          .execute();
      }
    } else {
      row = await tx
        .insertInto("directory_users")
        .values({ id: randomUUID(), ...values, created_at: now })
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    const action = before ? "user.update" : "user.create";
    await audit(
      tx,
      asDirectory(actor),
      now,
      action,
      { kind: "User", id: row.user_name },
      before && toUser(before),
      toUser(row),
    );
    if (before?.active !== false && !row.active) await deprovision(tx, actor, row, now);
    return toUser(row);
  }

  /** The subjects of a group's members, by their user ids; an unknown id is invalidValue. */
  async function memberSubjects(q: Queryable, members: ScimGroupBody["members"]) {
    const ids = [...new Set((members ?? []).map((m) => m.value))];
    if (ids.length === 0) return [];
    const users = await q
      .selectFrom("directory_users")
      .select(["id", "user_name", "active"])
      .where("id", "in", ids)
      .execute();
    const missing = ids.filter((id) => !users.some((u) => u.id === id));
    if (missing.length > 0) {
      throw new ScimError(400, `members: no User ${missing.slice(0, 3).join(", ")}`, "invalidValue");
    }
    // An inactive user is in no team: its access ended when it was deprovisioned.
    return users.filter((u) => u.active).map((u) => `user:${u.user_name}`);
  }

  async function writeMembers(tx: Tx, team: string, groupId: string, subjects: string[], now: Date) {
    const current = await tx.selectFrom("team_members").select("subject").where("team", "=", team).execute();
    const gone = current.map((r) => r.subject).filter((s) => !subjects.includes(s));
    if (gone.length > 0) {
      await tx.deleteFrom("team_members").where("team", "=", team).where("subject", "in", gone).execute();
    }
    const added = subjects.filter((s) => !current.some((r) => r.subject === s));
    if (added.length > 0) {
      await tx
        .insertInto("team_members")
        .values(
          added.map((subject) => ({
            team,
            subject,
            managed_by: managerOf(groupId),
            created_at: now,
            updated_at: now,
          })),
        )
        .execute();
    }
  }

  async function writeGroup(tx: Tx, actor: Actor, input: ScimGroupBody, before?: TeamRow) {
    const now = clock.now();
    const subjects = await memberSubjects(tx, input.members);
    let row: TeamRow;
    if (before) {
      // The team keeps its name: the role bindings code declares for it go on granting.
      row = await tx
        .updateTable("teams")
        .set({
          display_name: input.displayName,
          external_id: input.externalId ?? null,
          version: before.version + 1,
          updated_at: now,
        })
        .where("name", "=", before.name)
        .returningAll()
        .executeTakeFirstOrThrow();
    } else {
      const id = randomUUID();
      const name = teamNameOf(input.displayName);
      const taken = await tx.selectFrom("teams").select("name").where("name", "=", name).executeTakeFirst();
      if (taken) {
        throw new ScimError(
          409,
          `displayName ${input.displayName} names team ${name}, which exists`,
          "uniqueness",
        );
      }
      row = await tx
        .insertInto("teams")
        .values({
          name,
          display_name: input.displayName,
          description: null,
          members_authoritative: false,
          scim_id: id,
          external_id: input.externalId ?? null,
          managed_by: managerOf(id),
          claim: `scim:${id}`,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
    }
    if (input.members !== undefined && input.members !== null)
      await writeMembers(tx, row.name, row.scim_id!, subjects, now);
    else if (!before) await writeMembers(tx, row.name, row.scim_id!, [], now);
    const group = await groupOf(tx, row);
    await audit(
      tx,
      asDirectory(actor),
      now,
      before ? "team.update" : "team.create",
      { kind: "Team", id: row.name },
      before && (await groupOf(tx, before)),
      group,
    );
    return group;
  }

  return {
    users: {
      async create(actor: Actor, body: unknown) {
        const input = bodyOf(scimUserBodySchema, body, "User");
        return transaction(db, { kind: "User", id: input.userName }, (tx) => writeUser(tx, actor, input));
      },
      /** Users have no attribute a caller may leave out: the options are the groups'. */
      async get(id: string, _options?: { members: boolean }) {
        return toUser(await userRow(db, id));
      },
      async list(page: Page, _options?: { members: boolean }) {
        const ast = parsedFilter(page.filter);
        let query = db.selectFrom("directory_users").selectAll().orderBy("created_at").orderBy("id");
        const userName = pinned(ast, "userName");
        if (userName !== undefined) query = query.where("user_name_key", "=", userName);
        const externalId = pinned(ast, "externalId");
        if (externalId !== undefined) query = query.where("external_id", "=", externalId);
        const id = pinned(ast, "id");
        if (id !== undefined) query = query.where("id", "=", id);
        const users = (await query.execute()).map(toUser);
        const matches = ast ? filterOf(ast) : () => true;
        return pageOf(
          users.filter((u) => matches({ ...u, userName: u.userName.toLowerCase() })),
          page,
        );
      },
      async replace(actor: Actor, id: string, body: unknown) {
        const input = bodyOf(scimUserBodySchema, body, "User");
        return transaction(db, { kind: "User", id }, async (tx) => {
          const before = await userRow(tx, id, true);
          return writeUser(tx, actor, input, before);
        });
      },
      async patch(actor: Actor, id: string, body: unknown) {
        const operations = normalisedOperations(body);
        return transaction(db, { kind: "User", id }, async (tx) => {
          const before = await userRow(tx, id, true);
          const after = patched(toUser(before), operations);
          return writeUser(tx, actor, bodyOf(scimUserBodySchema, after, "User"), before);
        });
      },
      async remove(actor: Actor, id: string) {
        await transaction(db, { kind: "User", id }, async (tx) => {
          const user = await userRow(tx, id, true);
          const now = clock.now();
          if (user.active) await deprovision(tx, actor, user, now);
          await tx.deleteFrom("directory_users").where("id", "=", id).execute();
          await audit(
            tx,
            asDirectory(actor),
            now,
            "user.delete",
            { kind: "User", id: user.user_name },
            toUser(user),
            undefined,
          );
        });
      },
    },
    groups: {
      async create(actor: Actor, body: unknown) {
        const input = bodyOf(scimGroupBodySchema, body, "Group");
        return transaction(db, { kind: "Team", id: input.displayName }, (tx) => writeGroup(tx, actor, input));
      },
      async get(id: string, options: { members: boolean }) {
        const group = await groupOf(db, await groupRow(db, id));
        return options.members ? group : { ...group, members: undefined };
      },
      async list(page: Page, options: { members: boolean }) {
        const ast = parsedFilter(page.filter);
        let query = db.selectFrom("teams").selectAll().where("scim_id", "is not", null).orderBy("created_at");
        const displayName = pinned(ast, "displayName");
        if (displayName !== undefined) query = query.where("display_name", "=", displayName);
        const externalId = pinned(ast, "externalId");
        if (externalId !== undefined) query = query.where("external_id", "=", externalId);
        const id = pinned(ast, "id");
        if (id !== undefined) query = query.where("scim_id", "=", id);
        const groups: ScimGroup[] = [];
        for (const row of await query.execute()) groups.push(await groupOf(db, row));
        const matching = ast ? groups.filter(filterOf(ast)) : groups;
        const listed = pageOf(matching, page);
        return options.members
          ? listed
          : { ...listed, Resources: listed.Resources.map((g) => ({ ...g, members: undefined })) };
      },
      async replace(actor: Actor, id: string, body: unknown) {
        const input = bodyOf(scimGroupBodySchema, body, "Group");
        return transaction(db, { kind: "Group", id }, async (tx) => {
          return writeGroup(
            tx,
            actor,
            { ...input, members: input.members ?? [] },
            await groupRow(tx, id, true),
          );
        });
      },
      async patch(actor: Actor, id: string, body: unknown) {
        const operations = normalisedOperations(body);
        return transaction(db, { kind: "Group", id }, async (tx) => {
          const before = await groupRow(tx, id, true);
          const after = patched(await groupOf(tx, before), operations);
          const input = bodyOf(scimGroupBodySchema, after, "Group");
          return writeGroup(tx, actor, { ...input, members: input.members ?? [] }, before);
        });
      },
      async remove(actor: Actor, id: string) {
        await transaction(db, { kind: "Group", id }, async (tx) => {
          const team = await groupRow(tx, id, true);
          const group = await groupOf(tx, team);
          await tx.deleteFrom("team_members").where("team", "=", team.name).execute();
          await tx.deleteFrom("teams").where("name", "=", team.name).execute();
          await audit(
            tx,
            asDirectory(actor),
            clock.now(),
            "team.delete",
            { kind: "Team", id: team.name },
            group,
            undefined,
          );
        });
      },
    },
  };
}
