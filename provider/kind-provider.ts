// What every kind's dynamic provider shares: offline validation that returns data, diffs computed
// without calling the control plane, "not found" treated as state, creates that converge after a
// crash, and errors that name the object and keep their cause.
import type * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { randomUUID } from "node:crypto";
import {
  ApprovalPending,
  TenancyError,
  describeManager,
  issuePath,
  kindRegistry,
  type KindName,
  type ManagedBy,
  stackOfUrn,
  type ProjectObjects,
  type StackObjects,
} from "../model";
import type { TenancyClient } from "../client";
import { client } from "./config";
import { forgetSharedReads, sharedProject, sharedStack } from "./shared-reads";

export type Bag = Record<string, unknown>;

/** The engine's placeholder for a value not known until an earlier resource is created. */
export const unknownValue = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Stored with every object: the version to send back, and when it was made and changed. */
export interface Meta {
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** What every object of the control plane carries that the provider relies on. */
export interface LiveMeta {
  createdAt: string;
  managedBy: ManagedBy | null;
}

/** A kind's name, its inputs (compared by diff) and those whose change replaces it, from the kinds
 * registry. */
export function registered<K extends KindName>(
  kind: K,
): { kind: K; fields: (typeof kindRegistry)[K]["inputs"]; replaceOn: (typeof kindRegistry)[K]["immutable"] } {
  return { kind, fields: kindRegistry[kind].inputs, replaceOn: kindRegistry[kind].immutable };
}

/** One kind's mapping between Pulumi inputs (`In`), the control plane's object (`Live`) and the
 * resource's outputs (`Out`). Each kind's spec is checked against it with `satisfies`. */
export interface KindSpec<In extends object, Live extends LiveMeta, Out extends In & Meta = In & Meta> {
  kind: KindName;
  /** Validates and normalises the inputs (without `adopt`). */
  schema: z.ZodType<In>;
  /** The Pulumi id. */
  id(inputs: In): string;
  /** Inputs compared by diff; `replaceOn` are those whose change replaces the object. */
  fields: readonly (keyof In & string)[];
  replaceOn: readonly (keyof In & string)[];
  /** Inputs whose change is an update, except while the new value is unknown: then the engine is
   * replacing what they point at (a renamed project), and this object is replaced with it. */
  replaceWhenUnknown?: readonly (keyof In & string)[];
  /** The object belongs to one environment (when `environment` is declared) and moves with it: a
   * new `project` with the same `environment` follows a transfer and is an update, not a replace. */
  followsEnvironment?: boolean;
  /** The control plane deletes the object with its environment when the object records that it goes
   * with the environment's resource (`managedBy.deletedWith`): a change of it is an update. */
  recordsDeletedWith?: boolean;
  /** Inputs whose new value is kept secret in diffs and errors. */
  secretFields?: readonly (keyof In & string)[];
  get(api: TenancyClient, inputs: In): Promise<Live | undefined>;
  /** For kinds a stack holds many of in a project: where a refresh finds the object in the
   * project's shared answer (see shared-reads), instead of a request of its own. `project` is
   * undefined for an object in no project (read with get). */
  shared?: {
    project(inputs: In): string | undefined;
    find(objects: ProjectObjects, inputs: In): Live | undefined;
  };
  /** For an org-wide kind a stack's shared answer holds whole (domains): where a refresh finds the
   * object in it. */
  inStack?(objects: StackObjects, inputs: In): Live | undefined;
  create(api: TenancyClient, inputs: In): Promise<Live>;
  update(api: TenancyClient, olds: Out, news: In): Promise<Live>;
  /** Moves an existing object's claim to this resource (`api` writes with adoption) and gives it
   * the declared fields; default: `update`. */
  takeOver?(api: TenancyClient, current: Out, news: In): Promise<Live>;
  delete(api: TenancyClient, olds: Out): Promise<void>;
  /** The outputs: the inputs as the control plane holds them, plus version and times.
   * `previous` is the state a refresh starts from. */
  toOutputs(live: Live, inputs: In, previous?: Out): Out;
  /** Why the object in the state may not be replaced, if it may not: said by diff, so that the
   * preview fails before anything changes. */
  refuseReplacement?(olds: Bag): string | undefined;
  /** Fills inputs derived from others before validation (an environment's name from its domain). */
  prepare?(news: Bag): Bag;
}

/** `adopt: true` takes over an object that already exists instead of failing on it. */
export interface AdoptInput {
  adopt?: boolean;
}

/** The resource that manages the object, as the SDK computes it (stack and URN). */
export interface OwnerInput {
  managedBy?: ManagedBy;
}

/** The claim a resource holds on its object, kept in its outputs. */
export interface Claimed {
  claim?: string;
}

/** A line the engine shows with the operation's output (the provider process's stderr). */
function note(message: string): void {
  process.stderr.write(`tenancy: ${message}\n`);
}

function isUnknown(value: unknown): boolean {
  return value === unknownValue;
}

function stripProvider(news: Record<string, unknown>): Record<string, unknown> {
  const { __provider: _ignored, ...rest } = news;
  return rest;
}

/**
 * Validates offline. Fields still unknown during a preview are left as they are and not judged;
 * everything else is normalised (quantities, sorted labels) so later diffs compare like for like.
 */
export function checkInputs<In extends object>(
  spec: Pick<KindSpec<In, LiveMeta>, "schema" | "prepare" | "secretFields">,
  news: Bag,
) {
  const raw = spec.prepare ? spec.prepare(stripProvider(news)) : stripProvider(news);
  // These are about the resource, not the object: kept aside from validation.
  const { adopt, managedBy, __tenancy, ...rest } = raw;
  const unknownKeys = Object.keys(rest).filter((key) => isUnknown(rest[key]));
  const known = Object.fromEntries(Object.entries(rest).filter(([key]) => !unknownKeys.includes(key)));
  const result = spec.schema.safeParse(known);
  const failures: pulumi.dynamic.CheckFailure[] = [];
  if (!result.success) {
    for (const issue of result.error.issues) {
      const property = issuePath(issue.path);
      const field = String(issue.path[0] ?? "");
      // A required field that is merely unknown yet is not a failure.
      if (unknownKeys.includes(field)) continue;
      if ((spec.secretFields as readonly string[] | undefined)?.includes(field)) {
        // The engine prints the value of the property a failure names: a secret's is never named.
        failures.push({ property: "", reason: `${property}: ${issue.message}` });
      } else {
        failures.push({ property: property === "(body)" ? "" : property, reason: issue.message });
      }
    }
  }
  if (failures.length > 0 || !result.success) return { inputs: raw, failures };
  const inputs: Bag = { ...(result.data as object) };
  for (const key of unknownKeys) inputs[key] = unknownValue;
  if (adopt !== undefined) inputs.adopt = adopt;
  if (managedBy !== undefined) inputs.managedBy = managedBy;
  if (__tenancy !== undefined) inputs.__tenancy = __tenancy;
  return { inputs, failures };
}

/** What the SDK says of the run beside a resource's inputs (`__tenancy`). */
function runOf(inputs: Bag): { preview: boolean; references: string[] } {
  const run = (inputs.__tenancy ?? {}) as { preview?: unknown; references?: unknown };
  return {
    preview: run.preview === true,
    references: Array.isArray(run.references) ? run.references.filter((r) => typeof r === "string") : [],
  };
}

/** Whether the program runs as a preview: the provider's hooks cannot tell, and dry-run only then. */
export function isPreview(inputs: Bag): boolean {
  return runOf(inputs).preview;
}

/** Whether two input values are the same (undefined and null alike). */
export function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** Compares inputs only: no request reaches the control plane. */
export function diffInputs<In extends object>(
  spec: Pick<
    KindSpec<In, LiveMeta>,
    "fields" | "replaceOn" | "replaceWhenUnknown" | "followsEnvironment" | "recordsDeletedWith"
  >,
  olds: Bag,
  news: Bag,
): pulumi.dynamic.DiffResult {
  const changed: string[] = spec.fields.filter(
    (field) => isUnknown(news[field]) || !same(olds[field], news[field]),
  );
  if (spec.recordsDeletedWith && deletedWithChanged(olds, news)) changed.push("managedBy");
  const followsMove = (field: string) =>
    field === "project" && spec.followsEnvironment === true && movesWithEnvironment(olds, news);
  const replaceOn: readonly string[] = spec.replaceOn;
  const replaceWhenUnknown: readonly string[] = spec.replaceWhenUnknown ?? [];
  const replaces = changed.filter(
    (field) =>
      (replaceOn.includes(field) && !followsMove(field)) ||
      (isUnknown(news[field]) && replaceWhenUnknown.includes(field)),
  );
  return {
    changes: changed.length > 0,
    replaces,
    stables: spec.replaceOn.filter((field) => !changed.includes(field)),
    // Names are unique in the control plane: the old object must go before its replacement.
    deleteBeforeReplace: replaces.length > 0,
  };
}

/** The input a dry run's refusal concerns: its field path, or the field naming the missing object. */
const referenceFields: Record<string, string> = {
  Project: "project",
  Domain: "domain",
  Environment: "environment",
  Team: "team",
};
function fieldOf(err: TenancyError): string {
  return err.errors?.[0]?.path ?? referenceFields[err.target?.kind ?? ""] ?? "";
}

// A token the control plane refused (or a control plane it cannot reach) is said once per preview,
// not once per resource: the first failure already stops the preview.
let refusedConnection = false;

/**
 * Runs a preview's dry run; returns the failure to report, if the control plane would refuse. A
 * reference to an object that another resource of this program creates first is not held against
 * it: the dry run cannot see that object yet.
 */
export async function askControlPlane(
  api: () => TenancyClient,
  inputs: Bag,
  ask: (tenancy: TenancyClient) => Promise<void>,
): Promise<pulumi.dynamic.CheckFailure | undefined> {
  if (refusedConnection) return undefined;
  try {
    await ask(api());
    return undefined;
  } catch (err) {
    if (ApprovalPending.isInstance(err)) {
      // No request waits for this write yet: `pulumi up` opens it, and up's own preview must let it
      // through to do so. Once one waits, the preview fails naming it.
      const { id, target } = err.changeRequest;
      if (id === "") return void note(`${target.kind} ${target.id}: ${err.message}`);
      return { property: "", reason: err.message };
    }
    if (!TenancyError.isInstance(err)) {
      return { property: "", reason: `the control plane could not check this: ${(err as Error).message}` };
    }
    if (err.code === "unauthorized" || err.code === "unavailable") {
      refusedConnection = true;
      const source =
        err.code === "unauthorized"
          ? "the token (tenancy:token or TENANCY_TOKEN) was refused"
          : "it cannot be reached";
      return {
        property: "",
        reason: `preview cannot check with the control plane: ${source}: ${err.message}`,
      };
    }
    const field = fieldOf(err);
    if (
      (err.code === "not_found" || err.code === "validation_failed") &&
      runOf(inputs).references.includes(field)
    )
      return undefined;
    return {
      property: field === "(body)" ? "" : field,
      reason: `the control plane would refuse this: ${err.message}`,
    };
  }
}

/** Whether the environment resource the object goes with changed, for the same manager (an object
 * created before it was recorded, or a program that now passes the environment's output). */
function deletedWithChanged(olds: Bag, news: Bag): boolean {
  const before = olds.managedBy as ManagedBy | null | undefined;
  const after = news.managedBy as ManagedBy | undefined;
  if (isUnknown(news.managedBy) || !before || !after || before.urn !== after.urn) return false;
  return (before.deletedWith ?? null) !== (after.deletedWith ?? null);
}

/** Whether a change of project is the object following its environment to another project: the
 * environment is declared, and the same. */
function movesWithEnvironment(olds: Bag, news: Bag): boolean {
  return (
    olds.environment !== undefined && !isUnknown(news.environment) && olds.environment === news.environment
  );
}

/** Wraps an error with the object it concerns and what to do about it, keeping the cause. */
export function describeFailure(action: string, kind: string, id: string, err: unknown): Error {
  const detail = err instanceof Error ? err.message : String(err);
  let hint = "";
  if (TenancyError.isInstance(err) && err.code === "version_mismatch") {
    hint = " It was changed outside this stack: run `pulumi refresh`, then `pulumi up` again.";
  }
  if (
    TenancyError.isInstance(err) &&
    err.code === "unavailable" &&
    (action === "read" || action === "delete")
  ) {
    // Without --run-program, refresh and destroy configure the provider as the last `up` saved it.
    hint =
      " If tenancy:endpoint or tenancy:token changed since the last `pulumi up`, run `pulumi refresh " +
      "--run-program` or `pulumi destroy --run-program` (or set PULUMI_RUN_PROGRAM=true): without it the " +
      "engine uses the configuration of that up.";
  }
  const wrapped = new Error(`Could not ${action} ${kind} ${id}: ${detail}${hint}`, { cause: err });
  if (TenancyError.isInstance(err)) Object.assign(wrapped, { code: err.code });
  return wrapped;
}

function isCode(err: unknown, code: string): boolean {
  return TenancyError.isInstance(err) && err.code === code;
}

/** The implementation of a kind's dynamic provider: check, diff, create, read, update, delete.
 * `api` gives the client of the control plane (tests pass a fake). */
export function providerFor<In extends object, Live extends LiveMeta, Out extends In & Meta>(
  spec: KindSpec<In, Live, Out>,
  api: () => TenancyClient = client,
) {
  // The declared fields of inputs or outputs: what diff compares and the control plane is sent.
  const fieldsOf = (values: In | Out): In => {
    const picked: Partial<In> = {};
    for (const field of spec.fields) if (values[field] !== undefined) picked[field] = values[field];
    return picked as In; // every required field of In is among spec.fields
  };

  /** The live object: from a shared answer when the kind is found there, else read. `stack`: the
   * stack of the resource's manager, whose answer is asked first. */
  const readShared = async (inputs: In, stack: string | undefined): Promise<Live | undefined> => {
    if (spec.inStack && stack !== undefined) {
      const objects = await sharedStack(api(), stack);
      if (objects !== "unshared") return spec.inStack(objects, inputs);
    }
    const project = spec.shared?.project(inputs);
    if (spec.shared && project !== undefined) {
      const objects = await sharedProject(api(), project, stack);
      if (objects !== "unshared") return spec.shared.find(objects, inputs);
    }
    return spec.get(api(), inputs);
  };

  return {
    /**
     * Validates offline; in a preview, also asks the control plane, in a dry run, whether it would
     * accept the create (a new resource) or the update (changed inputs), and reports its refusal as
     * a failure of the field it names. Unchanged resources send nothing.
     */
    async check(olds: Record<string, unknown>, news: Record<string, unknown>) {
      const checked = checkInputs(spec, news);
      const inputs = checked.inputs;
      if (checked.failures.length > 0 || !isPreview(inputs)) return checked;
      if (Object.values(inputs).some(isUnknown)) return checked; // judged once what it depends on exists
      const desired = fieldsOf(inputs as In);
      const owner = (inputs as OwnerInput).managedBy?.urn;
      const refusal = await askControlPlane(api, inputs, async (tenancy) => {
        const dry = tenancy.as({ ...(owner ? { owner } : {}), dryRun: true });
        const isNew = Object.keys(olds).length === 0;
        if (isNew) {
          if (inputs.adopt === true) {
            const existing = await spec.get(tenancy, desired);
            if (existing !== undefined) {
              note(
                `${spec.kind} ${spec.id(desired)}: will be adopted; it is managed ${describeManager(existing.managedBy)}`,
              );
            }
            return;
          }
          try {
            await spec.create(dry, desired);
          } catch (err) {
            // Its own object again (a rerun after a killed up): the create will take it back.
            if (!(TenancyError.isInstance(err) && err.code === "conflict")) throw err;
            const existing = await spec.get(tenancy, desired);
            if (existing === undefined || owner === undefined || existing.managedBy?.urn !== owner) throw err;
          }
          return;
        }
        const planned = diffInputs(spec, olds, inputs);
        if (!planned.changes || (planned.replaces ?? []).length > 0) return;
        // It follows its environment to another project: the environment's own dry run checks the
        // move, and nothing has moved yet for this one to be checked against.
        if (spec.followsEnvironment && olds.project !== inputs.project) return;
        const live = await spec.get(tenancy, fieldsOf(olds as In));
        if (live === undefined) return; // gone: up re-creates it, refresh shows it
        await spec.update(dry, spec.toOutputs(live, desired), desired);
      });
      return refusal ? { inputs, failures: [refusal] } : checked;
    },

    async diff(id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
      const result = diffInputs(spec, olds, news);
      const refusal = (result.replaces?.length ?? 0) > 0 ? spec.refuseReplacement?.(olds) : undefined;
      if (refusal) throw new Error(`Could not replace ${spec.kind} ${id}: ${refusal}`);
      return result;
    },

    async create(inputs: In & AdoptInput & OwnerInput) {
      const desired = fieldsOf(inputs);
      const id = spec.id(desired);
      const owner = inputs.managedBy?.urn;
      const deletedWith = inputs.managedBy?.deletedWith;
      // A new claim at each create: the state's copy of the resource before this one (a replaced or
      // adopted object) holds the old claim, and its later update or delete is refused.
      const claim = randomUUID();
      const tenancy = api();
      forgetSharedReads(tenancy);
      const manager = { ...(owner ? { owner } : {}), ...(deletedWith ? { deletedWith } : {}) };
      const writer = tenancy.as({ ...manager, claim });
      const adoptFlag = inputs.adopt ? { adopt: true } : {};
      /** Moves the claim to this resource and gives the object the declared fields. */
      const takeOver = async (existing: Live) => {
        const current = spec.toOutputs(existing, desired);
        // Secret fields cannot be read back to compare: an adopted object is given the declared ones.
        for (const field of spec.secretFields ?? []) delete current[field];
        const adopting = tenancy.as({ ...manager, claim, adopt: true });
        return (spec.takeOver ?? spec.update)(adopting, current, desired);
      };
      try {
        if (inputs.adopt) {
          const existing = await spec.get(tenancy, desired);
          if (existing !== undefined) {
            note(`${spec.kind} ${id}: adopted; it was managed ${describeManager(existing.managedBy)}`);
            return { id, outs: outputs(await takeOver(existing), desired, claim, adoptFlag) };
          }
        }
        return { id, outs: outputs(await spec.create(writer, desired), desired, claim, adoptFlag) };
      } catch (err) {
        // A conflict naming a manager is about another resource's object (a team whose members
        // another resource declares), not this one existing already.
        if (!(TenancyError.isInstance(err) && err.code === "conflict") || err.managedBy !== undefined)
          throw describeFailure("create", spec.kind, id, err);
        // It exists. Created by this very resource (a retry after a lost answer, a rerun after a
        // killed up, the engine re-creating a replacement it had planned), it comes back to it;
        // anyone else's is not taken.
        const existing = await spec.get(tenancy, desired);
        if (existing !== undefined && owner !== undefined && existing.managedBy?.urn === owner) {
          return { id, outs: outputs(await takeOver(existing), desired, claim, adoptFlag) };
        }
        throw describeFailure(
          "create",
          spec.kind,
          id,
          new Error(
            `it already exists, managed ${existing ? describeManager(existing.managedBy) : "elsewhere"}. ` +
              "To manage it from this resource instead, set adopt: true",
            { cause: err },
          ),
        );
      }
    },

    async read(id: string, props: Out & Claimed & { managedBy?: ManagedBy | null }) {
      const current = fieldsOf(props);
      try {
        const manager = props.managedBy?.urn;
        const live = await readShared(current, manager ? stackOfUrn(manager) : undefined);
        if (live === undefined) return { id: "" };
        const outs = outputs(live, current, props.claim, {}, props);
        return { id, props: outs, inputs: refreshedInputs(fieldsOf(outs), live.managedBy) };
      } catch (err) {
        throw describeFailure("read", spec.kind, id, err);
      }
    },

    async update(id: string, olds: Out & Claimed, news: In & AdoptInput & OwnerInput) {
      forgetSharedReads(api());
      const desired = fieldsOf(news);
      const adoptFlag = news.adopt ? { adopt: true } : {};
      try {
        const tenancy = api().as({
          ...(news.managedBy ? { owner: news.managedBy.urn } : {}),
          ...(news.managedBy?.deletedWith ? { deletedWith: news.managedBy.deletedWith } : {}),
          ...(olds.claim ? { claim: olds.claim } : {}),
        });
        let current: Out = olds;
        if (spec.followsEnvironment && (olds as Bag).project !== (desired as Bag).project) {
          // The environment moved first (it is what this object depends on), taking this object
          // along: the object at the new place must be this one, not another that was already there.
          const moved = await spec.get(tenancy, desired);
          const movedOutputs = moved === undefined ? undefined : spec.toOutputs(moved, desired, olds);
          if (
            moved === undefined ||
            movedOutputs === undefined ||
            movedOutputs.createdAt !== olds.createdAt
          ) {
            throw new TenancyError(
              "conflict",
              `it did not move to project ${String((desired as Bag).project)} with its environment; ` +
                "declare a new resource for an object in another environment",
            );
          }
          if (same(fieldsOf(movedOutputs), desired)) {
            return { outs: outputs(moved, desired, olds.claim, adoptFlag, olds) };
          }
          current = movedOutputs;
        }
        const live = await spec.update(tenancy, current, desired).catch(async (err: unknown) => {
          // Moved on from the version this stack knew to exactly what it declares, for this
          // resource: an approved change request applied its write. Nothing is left to do.
          if (!(TenancyError.isInstance(err) && err.code === "version_mismatch")) throw err;
          const now = await spec.get(tenancy, desired);
          const declared =
            now !== undefined &&
            now.managedBy?.urn === news.managedBy?.urn &&
            same(fieldsOf(spec.toOutputs(now, desired, olds)), desired);
          if (!declared) throw err;
          return now;
        });
        return { outs: outputs(live, desired, olds.claim, adoptFlag) };
      } catch (err) {
        if (TenancyError.isInstance(err) && err.managedBy !== undefined) {
          throw describeFailure(
            "update",
            spec.kind,
            id,
            new Error(
              `${err.message}. This resource no longer manages it: remove it from the program, or ` +
                "remove it from the state (pulumi state delete) and declare it with adopt: true to take it back",
              { cause: err },
            ),
          );
        }
        throw describeFailure("update", spec.kind, id, err);
      }
    },

    async delete(id: string, props: Out & Claimed) {
      forgetSharedReads(api());
      try {
        await spec.delete(api().as(props.claim ? { claim: props.claim } : {}), props);
      } catch (err) {
        if (isCode(err, "not_found")) return; // already gone: what delete wanted
        if (TenancyError.isInstance(err) && err.managedBy !== undefined) {
          // Taken over since (replaced, adopted): gone from this stack, left to its new manager.
          note(`${spec.kind} ${id}: left in place, managed ${describeManager(err.managedBy)} now`);
          return;
        }
        throw describeFailure("delete", spec.kind, id, err);
      }
    },
  };

  /** The outputs: the kind's, plus who manages the object and the claim this resource holds. */
  function outputs(live: Live, desired: In, claim: string | undefined, extra: Bag, previous?: Out) {
    return {
      ...spec.toOutputs(live, desired, previous),
      managedBy: live.managedBy,
      ...(claim ? { claim } : {}),
      ...extra,
    };
  }
}

/** The inputs a refresh gives back: the declared fields as the object holds them, and the owner the
 * resource class passes as an input (the object's manager), so that the next diff shows only what
 * drifted, not the owner as added. */
export function refreshedInputs<T extends object>(fields: T, managedBy: ManagedBy | null) {
  return managedBy ? { ...fields, managedBy } : fields;
}

/** A boolean the control plane defaults to false, reported as the program declared it: left unset
 * and false, it stays unset, so an undeclared flag never shows as a diff. */
export function declaredFlag(declared: boolean | undefined, live: boolean): boolean | undefined {
  return declared === undefined && !live ? undefined : live;
}

/** Drops undefined fields, so outputs and patches carry only what is set. */
export function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** A PATCH body that sets what `news` has and clears (null) what `olds` had and `news` dropped. */
export function patchOf(fields: readonly string[], olds: object, news: object) {
  const [before, after] = [olds as Bag, news as Bag];
  const body: Bag = {};
  for (const field of fields) {
    if (after[field] !== undefined) {
      if (!same(after[field], before[field])) body[field] = after[field];
    } else if (before[field] !== undefined) {
      body[field] = null;
    }
  }
  return body;
}
