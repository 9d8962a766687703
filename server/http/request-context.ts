// What a request says besides its body: the version it read (If-Match) and who writes, how (the
// Tenancy-* headers of the provider, and ?dryRun=true).
import type { FastifyRequest } from "fastify";
import { TenancyError } from "../../model";
import type { WriteContext } from "../service";

/** If-Match carries the version the caller read: `3`, `"3"` or `W/"3"`. */
export function parseIfMatch(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const text = (Array.isArray(header) ? header[0] : header)!
    .trim()
    .replace(/^W\//, "")
    .replace(/^"(.*)"$/, "$1");
  if (!/^[1-9]\d{0,9}$/.test(text)) {
    throw new TenancyError(
      "validation_failed",
      `If-Match must be the object's version (a positive integer), not '${text}'`,
      {
        errors: [{ path: "If-Match", message: "a positive integer version" }],
      },
    );
  }
  return Number(text);
}

const ownerPattern = /^urn:pulumi:([^:]+)::[^:]+::.+::.+$/;

function isUrn(value: string): boolean {
  return value.length <= 2000 && ownerPattern.test(value);
}

export function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Owner, claim, adoption and dry run of a write, from its headers and `?dryRun=true`. */
export function writeContextOf(request: FastifyRequest, isWrite: boolean): WriteContext {
  const owner = header(request, "tenancy-owner");
  const deletedWith = header(request, "tenancy-deleted-with");
  const claim = header(request, "tenancy-claim");
  const adopt = header(request, "tenancy-adopt");
  const dryRun = (request.query as Record<string, unknown> | undefined)?.dryRun;
  const errors: { path: string; message: string }[] = [];
  const stack = owner === undefined ? undefined : ownerPattern.exec(owner)?.[1];
  if (owner !== undefined && (stack === undefined || !isUrn(owner))) {
    errors.push({
      path: "Tenancy-Owner",
      message: "a Pulumi URN: urn:pulumi:<stack>::<project>::<type>::<name>",
    });
  }
  if (deletedWith !== undefined && (owner === undefined || !isUrn(deletedWith))) {
    errors.push({
      path: "Tenancy-Deleted-With",
      message: "the URN of an environment resource, sent with Tenancy-Owner",
    });
  }
  if (claim !== undefined && !/^[\x21-\x7e]{1,200}$/.test(claim)) {
    errors.push({ path: "Tenancy-Claim", message: "1-200 visible ASCII characters" });
  }
  if (adopt !== undefined && adopt !== "true") errors.push({ path: "Tenancy-Adopt", message: "only true" });
  if (adopt === "true" && (owner === undefined || claim === undefined)) {
    errors.push({ path: "Tenancy-Adopt", message: "adopting needs Tenancy-Owner and Tenancy-Claim" });
  }
  if (dryRun !== undefined && dryRun !== "true" && dryRun !== "false") {
    errors.push({ path: "dryRun", message: "true or false" });
  }
  if (errors.length > 0) {
    throw new TenancyError("validation_failed", errors.map((e) => `${e.path}: ${e.message}`).join("; "), {
      errors,
    });
  }
  return {
    ...(owner !== undefined && stack !== undefined
      ? { owner: { stack, urn: owner, ...(deletedWith !== undefined ? { deletedWith } : {}) } }
      : {}),
    ...(claim !== undefined ? { claim } : {}),
    adopt: adopt === "true",
    dryRun: isWrite && dryRun === "true",
  };
}
