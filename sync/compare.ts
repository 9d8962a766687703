// Whether an object in the cluster already is what sync would apply: sync writes nothing where
// nothing differs. Fields the apiserver adds (defaults, status, managedFields) are not sync's;
// maps sync owns whole (a quota's limits, a Secret's data) must match exactly; quantities compare
// by amount ("1000m" is "1").
import { parseQuantity } from "../model";

/** Maps whose every key is sync's: a key missing from what sync applies must be gone. */
const wholeMaps = new Set(["hard", "default", "defaultRequest", "data"]);

function sameScalar(current: unknown, desired: unknown): boolean {
  if (current === desired) return true;
  if (typeof current === "string" && typeof desired === "string") {
    try {
      return parseQuantity(current) === parseQuantity(desired);
    } catch {
      return false;
    }
  }
  return false;
}

function covers(current: unknown, desired: unknown, key: string): boolean {
  if (Array.isArray(desired)) {
    return (
      Array.isArray(current) &&
      current.length === desired.length &&
      desired.every((item, i) => covers(current[i], item, key))
    );
  }
  if (desired !== null && typeof desired === "object") {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return false;
    const have = current as Record<string, unknown>;
    const want = desired as Record<string, unknown>;
    if (wholeMaps.has(key) && Object.keys(have).some((k) => !(k in want))) return false;
    return Object.entries(want).every(([k, v]) => covers(have[k], v, k));
  }
  return sameScalar(current, desired);
}

/** Whether `current` (as read from the cluster) holds everything of `desired` (as sync applies it). */
export function upToDate(current: Record<string, unknown>, desired: Record<string, unknown>): boolean {
  const { apiVersion: _v, kind: _k, metadata, ...rest } = desired;
  const meta = metadata as { labels?: object; annotations?: object };
  const have = current.metadata as { labels?: object; annotations?: object } | undefined;
  return (
    covers(have?.labels ?? {}, meta.labels ?? {}, "labels") &&
    covers(have?.annotations ?? {}, meta.annotations ?? {}, "annotations") &&
    covers(current, rest, "")
  );
}
