// API tokens as code. A token's secret exists only in the answer that issued it, so this kind
// differs from the others: the Pulumi id is the token's id, the secret is an output (a Pulumi secret
// in the state), an existing token can be neither adopted nor taken back, and a token inside its
// rotation window is replaced create-before-delete, so a reader of the output always holds a live
// token.
import type * as pulumi from "@pulumi/pulumi";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  TenancyError,
  durationMs,
  durationSchema,
  mixedTokenKind,
  tokenCreateSchema,
  type ManagedBy,
  type Token,
  kindRegistry,
} from "../model";
import { orUndefined, type TenancyClient } from "../client";
import { client } from "./config";
import {
  askControlPlane,
  checkInputs,
  defined,
  describeFailure,
  isPreview,
  same,
  type Bag,
  type OwnerInput,
  refreshedInputs,
} from "./kind-provider";

export const apiTokenInputsSchema = tokenCreateSchema
  .omit({ expiresAt: true })
  .extend({
    /** How long the token lives from its issue, e.g. `90d`; omitted, it never expires. */
    expiresIn: durationSchema.optional(),
    /** An `up` this close to the expiry issues a new token first and revokes the old one after. */
    rotateBefore: durationSchema.optional(),
  })
  .superRefine((inputs, ctx) => {
    const mixed = mixedTokenKind(inputs);
    if (mixed) ctx.addIssue({ code: "custom", path: [mixed.path], message: mixed.message });
    if (inputs.rotateBefore === undefined) return;
    if (inputs.expiresIn === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["rotateBefore"],
        message: "needs expiresIn: a token that never expires is never rotated",
      });
    } else if (durationMs(inputs.rotateBefore) >= durationMs(inputs.expiresIn)) {
      // Else every up would be inside the window, and re-issue the token.
      ctx.addIssue({
        code: "custom",
        path: ["rotateBefore"],
        message: `must be shorter than expiresIn (${inputs.expiresIn})`,
      });
    }
  });
export type ApiTokenInputs = z.output<typeof apiTokenInputsSchema>;

export interface ApiTokenOutputs extends ApiTokenInputs {
  /** The secret: a Pulumi secret output. */
  token: string;
  tokenId: string;
  expiresAt?: string;
  createdAt: string;
  managedBy: ManagedBy | null;
  claim: string;
}

/** Changing any of these issues a new token (a token never changes once issued). */
const issuedFields = kindRegistry.ApiToken.immutable;

/** Whether the token is due to be replaced now: inside its rotation window (or past its expiry). */
export function dueForRotation(olds: Partial<ApiTokenOutputs>, now: Date): boolean {
  if (olds.expiresAt === undefined) return false;
  const window = olds.rotateBefore !== undefined ? durationMs(olds.rotateBefore) : 0;
  return now.getTime() >= new Date(olds.expiresAt).getTime() - window;
}

function request(inputs: ApiTokenInputs, now: Date) {
  return defined({
    name: inputs.name,
    subject: inputs.subject,
    teams: inputs.teams,
    orgAdmin: inputs.orgAdmin,
    cluster: inputs.cluster,
    scim: inputs.scim,
    expiresAt:
      inputs.expiresIn !== undefined
        ? new Date(now.getTime() + durationMs(inputs.expiresIn)).toISOString()
        : undefined,
  });
}

/** A token that can no longer authenticate is gone, for the stack: the next `up` issues a new one. */
function isLive(token: Token, now: Date): boolean {
  return token.revokedAt === undefined && (token.expiresAt === undefined || new Date(token.expiresAt) > now);
}

export function apiTokenProviderFor(api: () => TenancyClient = client, clock: () => Date = () => new Date()) {
  const kind = "ApiToken";
  const fieldsOf = (values: object): ApiTokenInputs => {
    const picked: Bag = {};
    for (const field of [...issuedFields, "rotateBefore"]) {
      const value = (values as Bag)[field];
      if (value !== undefined) picked[field] = value;
    }
    return picked as ApiTokenInputs;
  };

  /** The token each resource's replacement replaces, by URN: diff sees it, the create after it
   * (in the same provider process, one per deployment) does not. */
  const replacing = new Map<string, string>();

  return {
    async check(olds: Bag, news: Bag) {
      const checked = checkInputs({ schema: apiTokenInputsSchema }, news);
      const inputs = checked.inputs;
      if (inputs.adopt === true) {
        return {
          inputs,
          failures: [
            {
              property: "adopt",
              reason: "a token's secret is shown only once: an existing token cannot be adopted",
            },
          ],
        };
      }
      if (checked.failures.length > 0 || !isPreview(inputs)) return checked;
      const desired = fieldsOf(inputs);
      const isNew = Object.keys(olds).length === 0;
      const reissued = issuedFields.some((f) => !same(olds[f], desired[f]));
      if (!isNew && !reissued) return checked;
      // Issuing needs an org admin: a dry run tells at preview whether the stack's token is one.
      const refusal = await askControlPlane(api, inputs, async (tenancy) => {
        await tenancy.as({ dryRun: true }).tokens.create(request(desired, clock()));
      });
      return refusal ? { inputs, failures: [refusal] } : checked;
    },

    async diff(id: string, olds: Bag, news: Bag): Promise<pulumi.dynamic.DiffResult> {
      const replaces: string[] = issuedFields.filter((f) => !same(olds[f], news[f]));
      if (dueForRotation(olds, clock())) replaces.push("expiresAt");
      const urn = (news as OwnerInput).managedBy?.urn ?? (olds as OwnerInput).managedBy?.urn;
      if (replaces.length > 0 && urn !== undefined) replacing.set(urn, id);
      const changes = replaces.length > 0 || !same(olds.rotateBefore, news.rotateBefore);
      // The new token is issued before the old one is revoked.
      return { changes, replaces, deleteBeforeReplace: false };
    },

    async create(inputs: ApiTokenInputs & OwnerInput) {
      const desired = fieldsOf(inputs);
      const claim = randomUUID();
      const owner = inputs.managedBy?.urn;
      try {
        // The token this one replaces stays live until its own delete; any other of this
        // resource's was never recorded by the stack, and the server revokes it.
        const keep = owner === undefined ? undefined : replacing.get(owner);
        const issued = await api()
          .as({ ...(owner ? { owner } : {}), claim })
          .tokens.create(request(desired, clock()), keep === undefined ? {} : { keep });
        if (owner !== undefined) replacing.delete(owner);
        const outs: ApiTokenOutputs = {
          ...desired,
          token: issued.token,
          tokenId: issued.id,
          ...(issued.expiresAt ? { expiresAt: issued.expiresAt } : {}),
          createdAt: issued.createdAt,
          managedBy: issued.managedBy,
          claim,
        };
        return { id: issued.id, outs };
      } catch (err) {
        throw describeFailure("issue", kind, desired.name, err);
      }
    },

    async read(id: string, props: ApiTokenOutputs) {
      try {
        const live = await orUndefined(api().tokens.get(id));
        if (live === undefined || !isLive(live, clock())) return { id: "" };
        const outs = {
          ...props,
          name: live.name,
          subject: live.subject,
          ...(live.teams.length > 0 || props.teams !== undefined ? { teams: live.teams } : {}),
          ...(live.orgAdmin || props.orgAdmin !== undefined ? { orgAdmin: live.orgAdmin } : {}),
          managedBy: live.managedBy,
        };
        return { id, props: outs, inputs: refreshedInputs(fieldsOf(outs), live.managedBy) };
      } catch (err) {
        throw describeFailure("read", kind, id, err);
      }
    },

    /** Only `rotateBefore` changes in place: it is the stack's own setting, not the token's. */
    async update(_id: string, olds: ApiTokenOutputs, news: ApiTokenInputs) {
      return { outs: defined({ ...olds, rotateBefore: news.rotateBefore }) };
    },

    /** Revokes the token; one already gone is what delete wanted. */
    async delete(id: string, props: ApiTokenOutputs) {
      try {
        await api()
          .as(props.claim ? { claim: props.claim } : {})
          .tokens.revoke(id);
      } catch (err) {
        if (TenancyError.isInstance(err) && err.code === "not_found") return;
        throw describeFailure("revoke", kind, id, err);
      }
    },
  };
}

export const apiTokenProvider = apiTokenProviderFor();
