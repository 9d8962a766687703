import { randomUUID } from "node:crypto";
import type { Selectable } from "kysely";
import {
  TenancyError,
  parseOrThrow,
  secretBindingId,
  secretsRevealSchema,
  type SecretsRevealed,
  secretCreateSchema,
  secretPatchSchema,
  type SecretBinding,
} from "../../model";
import type { SecretTable } from "../store/schema";
import { authorize } from "./access";
import {
  systemClock,
  type Actor,
  type ExpectedVersion,
  type Queryable,
  type ServiceDeps,
  type Tx,
} from "./context";
import { loadEnvironment } from "./environment-rows";
import { createOnce } from "./idempotency";
import { loadProject, refuseArchived } from "./projects";
import { checkVersion, notFound, requireExpectedVersion } from "./errors";
import { iso, optional } from "./rows";
import { checkClaim, managedByOf, ownershipOnCreate, ownershipOnUpdate } from "./ownership";
import { audit, transaction } from "./transaction";

const kind = "SecretBinding";

/** Metadata only: the value never leaves the service except through reveal. */
function toSecret(row: Selectable<SecretTable>): SecretBinding {
  return {
    project: row.project,
    environment: row.environment,
    name: row.name,
    kind: row.kind as SecretBinding["kind"],
    reference: optional(row.reference),
    description: optional(row.description),
    valueVersion: row.value_version,
    version: row.version,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    managedBy: managedByOf(row),
  };
}

/** What the audit log keeps of a binding: its metadata, the value marked as redacted. */
export function auditedSecret(row: Selectable<SecretTable>) {
  return { ...toSecret(row), ...(row.kind === "value" ? { value: "[redacted]" } : {}) };
}

async function loadSecret(
  q: Queryable,
  project: string,
  environment: string,
  name: string,
  forUpdate = false,
) {
  await loadEnvironment(q, project, environment);
  let query = q
    .selectFrom("secrets")
    .selectAll()
    .where("project", "=", project)
    .where("environment", "=", environment)
    .where("name", "=", name);
  if (forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) throw notFound(kind, secretBindingId(project, environment, name));
  return row;
}

export function secretService({ db, keyring, clock = systemClock }: ServiceDeps) {
  // The ciphertext is bound to the secret's stable id, not its place, so a transfer keeps it valid
  // while a ciphertext copied to another row does not decrypt.
  const seal = (id: string, value: string) => {
    const sealed = keyring.seal(value, id);
    return { key_id: sealed.keyId, nonce: sealed.nonce, ciphertext: sealed.ciphertext };
  };

  return {
    /** The bindings of a project's environments named in `environments`, by environment and in
     * name order, in one statement: for callers that already hold read on those environments. */
    async ofEnvironments(project: string, environments: readonly string[]) {
      const found = new Map<string, SecretBinding[]>(environments.map((name) => [name, []]));
      if (environments.length === 0) return found;
      const rows = await db
        .selectFrom("secrets")
        .selectAll()
        .where("project", "=", project)
        .where("environment", "in", environments)
        .orderBy("environment")
        .orderBy("name")
        .execute();
      for (const row of rows) found.get(row.environment)?.push(toSecret(row));
      return found;
    },

    async list(actor: Actor, project: string, environment: string): Promise<SecretBinding[]> {
      await authorize(db, actor, "read", project, environment);
      await loadEnvironment(db, project, environment);
      const rows = await db
        .selectFrom("secrets")
        .selectAll()
        .where("project", "=", project)
        .where("environment", "=", environment)
        .orderBy("name")
        .execute();
      return rows.map(toSecret);
    },

    async get(actor: Actor, project: string, environment: string, name: string): Promise<SecretBinding> {
      await authorize(db, actor, "read", project, environment);
      return toSecret(await loadSecret(db, project, environment, name));
    },

    async create(actor: Actor, project: string, environment: string, body: unknown, idempotencyKey?: string) {
      const input = parseOrThrow(secretCreateSchema, body, "secret binding");
      const target = { kind, id: secretBindingId(project, environment, input.name) };
      const request = {
        key: idempotencyKey,
        operation: `secret.create:${project}/${environment}`,
        body: input,
      };
      return createOnce(db, keyring, actor, request, target, async (tx) => {
        await authorize(tx, actor, "create", project, environment);
        refuseArchived(await loadProject(tx, project), "secret bindings");
        await loadEnvironment(tx, project, environment, true);
        const now = clock.now();
        const id = randomUUID();
        const row = await tx
          .insertInto("secrets")
          .values({
            ...ownershipOnCreate(),
            id,
            project,
            environment,
            name: input.name,
            kind: input.value !== undefined ? "value" : "reference",
            reference: input.reference ?? null,
            ...(input.value !== undefined
              ? seal(id, input.value)
              : { key_id: null, nonce: null, ciphertext: null }),
            description: input.description ?? null,
            value_version: 1,
            created_at: now,
            updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(tx, actor, now, "secret.create", target, undefined, auditedSecret(row));
        return toSecret(row);
      });
    },

    /** A new value or reference raises valueVersion; a description alone does not. */
    async update(
      actor: Actor,
      project: string,
      environment: string,
      name: string,
      body: unknown,
      expected: ExpectedVersion,
    ) {
      const patch = parseOrThrow(secretPatchSchema, body, "secret binding change");
      const target = { kind, id: secretBindingId(project, environment, name) };
      const version = requireExpectedVersion(expected, kind, target.id);
      return transaction(db, target, async (tx) => {
        await authorize(tx, actor, "change", project, environment);
        const before = await loadSecret(tx, project, environment, name, true);
        checkClaim(kind, target.id, before);
        checkVersion(kind, target.id, version, before);
        // The value or reference it already holds is no new source: valueVersion stays, so a write
        // repeated (a retry, a takeover, an approved change's next up) changes nothing downstream.
        const newSource =
          (patch.value !== undefined && !holdsValue(before, patch.value)) ||
          (patch.reference !== undefined &&
            !(before.kind === "reference" && before.reference === patch.reference));
        const now = clock.now();
        const row = await tx
          .updateTable("secrets")
          .set({
            ...(patch.value !== undefined && newSource
              ? { kind: "value", reference: null, ...seal(before.id, patch.value) }
              : {}),
            ...(patch.reference !== undefined && newSource
              ? { kind: "reference", reference: patch.reference, key_id: null, nonce: null, ciphertext: null }
              : {}),
            ...(patch.description !== undefined ? { description: patch.description } : {}),
            value_version: newSource ? before.value_version + 1 : before.value_version,
            ...ownershipOnUpdate(before),
            version: before.version + 1,
            updated_at: now,
          })
          .where("id", "=", before.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        await audit(tx, actor, now, "secret.update", target, auditedSecret(before), auditedSecret(row));
        return toSecret(row);
      });
    },

    async remove(
      actor: Actor,
      project: string,
      environment: string,
      name: string,
      expected: ExpectedVersion,
    ) {
      const target = { kind, id: secretBindingId(project, environment, name) };
      const version = requireExpectedVersion(expected, kind, target.id);
      await transaction(db, target, async (tx) => {
        await authorize(tx, actor, "delete", project, environment);
        const before = await loadSecret(tx, project, environment, name, true);
        checkClaim(kind, target.id, before);
        checkVersion(kind, target.id, version, before);
        await tx.deleteFrom("secrets").where("id", "=", before.id).execute();
        await audit(tx, actor, clock.now(), "secret.delete", target, auditedSecret(before), undefined);
      });
    },

    /** The value itself, to developers and above whose binding covers this environment. */
    async reveal(actor: Actor, project: string, environment: string, name: string) {
      const target = { kind, id: secretBindingId(project, environment, name) };
      return transaction(db, target, async (tx) => {
        await authorize(tx, actor, "reveal", project, environment);
        return revealIn(tx, actor, project, environment, name);
      });
    },

    /** Several values at once, each checked and audited as reveal() does, in one transaction: what
     * sync needs for a whole cluster is one request, not one per binding. A binding the caller may
     * not reveal, or that is gone, is answered with its error; the others are still revealed. */
    async revealMany(actor: Actor, body: unknown): Promise<SecretsRevealed> {
      const { secrets } = parseOrThrow(secretsRevealSchema, body, "reveal");
      return transaction(db, { kind, id: "reveal" }, async (tx) => {
        // Each environment's check once, however many of its bindings are asked for.
        const checked = new Map<string, Promise<void>>();
        const answers: SecretsRevealed["secrets"] = [];
        for (const address of secrets) {
          const { project, environment, name } = address;
          const scope = `${project}/${environment}`;
          if (!checked.has(scope)) checked.set(scope, authorize(tx, actor, "reveal", project, environment));
          try {
            await checked.get(scope);
            answers.push({
              project,
              environment,
              ...(await revealIn(tx, actor, project, environment, name)),
            });
          } catch (err) {
            if (!TenancyError.isInstance(err) || (err.code !== "not_found" && err.code !== "forbidden"))
              throw err;
            answers.push({ ...address, error: { code: err.code, detail: err.message } });
          }
        }
        return { secrets: answers };
      });
    },
  };

  /** Whether a stored secret holds exactly this value. */
  function holdsValue(row: Selectable<SecretTable>, value: string): boolean {
    return row.kind === "value" && openValue(row) === value;
  }

  function openValue(row: Selectable<SecretTable>): string {
    return keyring.open({ keyId: row.key_id!, nonce: row.nonce!, ciphertext: row.ciphertext! }, row.id);
  }

  /** Reads and audits one value; the caller has checked the actor may reveal it. */
  async function revealIn(tx: Tx, actor: Actor, project: string, environment: string, name: string) {
    const row = await loadSecret(tx, project, environment, name);
    await audit(
      tx,
      actor,
      clock.now(),
      "secret.reveal",
      { kind, id: secretBindingId(project, environment, name) },
      undefined,
      {
        valueVersion: row.value_version,
      },
    );
    if (row.kind === "reference") {
      return { name, kind: "reference" as const, reference: row.reference!, valueVersion: row.value_version };
    }
    const value = openValue(row);
    return { name, kind: "value" as const, value, valueVersion: row.value_version };
  }
}
