// What an environment's deletion takes along: the objects whose resources go with it.
import { sql } from "kysely";
import { environmentId, secretBindingId } from "../../model";
import type { Actor, Tx } from "./context";
import { toQuota } from "./quotas";
import { auditedSecret } from "./secrets";
import { audit } from "./transaction";

/**
 * Deletes the quota and secret bindings that go with the environment resource `urn` (their
 * resources declare `deletedWith` it, so Pulumi skips their own deletes), each audited. Objects
 * made by hand or managed otherwise stay, and keep the environment from being deleted.
 */
export async function deleteGoingWith(
  tx: Tx,
  actor: Actor,
  at: Date,
  urn: string,
  project: string,
  name: string,
) {
  const goesWith = sql<boolean>`managed_by->>'deletedWith' = ${urn}`;
  const quotas = await tx
    .deleteFrom("quotas")
    .where("project", "=", project)
    .where("environment", "=", name)
    .where(goesWith)
    .returningAll()
    .execute();
  for (const row of quotas) {
    await audit(
      tx,
      actor,
      at,
      "quota.delete",
      { kind: "Quota", id: environmentId(project, name) },
      toQuota(row),
      undefined,
    );
  }
  const secrets = await tx
    .deleteFrom("secrets")
    .where("project", "=", project)
    .where("environment", "=", name)
    .where(goesWith)
    .returningAll()
    .execute();
  for (const row of secrets) {
    const id = secretBindingId(project, name, row.name);
    await audit(tx, actor, at, "secret.delete", { kind: "SecretBinding", id }, auditedSecret(row), undefined);
  }
}
