// When sync makes the pass that takes an expired role binding out of the cluster.
import { strict as assert } from "node:assert";
import type { ClusterSnapshot, PlacedEnvironment } from "../../../model";
import { firstExpiry } from "../../../sync/pass";
import { expiryDelayMs, expiryMarginMs } from "../../../sync/run";

const placed = (environment: string, roleBindings: PlacedEnvironment["roleBindings"]): PlacedEnvironment => ({
  project: "web",
  environment,
  domain: environment,
  archived: false,
  defaults: { requests: {}, limits: {} },
  secrets: [],
  roleBindings,
});
const snapshot = (...environments: PlacedEnvironment[]): ClusterSnapshot => ({
  cluster: "local",
  revision: 7,
  environments,
});

describe("unit: sync's pass at a binding's expiry", () => {
  it("finds the earliest expiry across every environment, ignoring bindings that never expire", () => {
    const first = "2026-12-05T10:00:00.000Z";
    const found = firstExpiry(
      snapshot(
        placed("development", [
          { subject: "user:alice", role: "developer" },
          { subject: "user:temp", role: "viewer", expiresAt: "2026-12-05T12:00:00.000Z" },
        ]),
        placed("production", [{ subject: "user:oncall", role: "admin", expiresAt: first }]),
      ),
    );
    assert.equal(found, Date.parse(first));
  });

  it("finds nothing when no binding expires", () => {
    assert.equal(
      firstExpiry(snapshot(placed("development", [{ subject: "team:ops", role: "viewer" }]))),
      undefined,
    );
    assert.equal(firstExpiry(snapshot()), undefined);
  });

  it("runs the pass just after the expiry, at once when it has passed here, and never after the next resync", () => {
    const now = Date.parse("2026-12-05T10:00:00.000Z");
    const resyncMs = 600_000;
    assert.equal(expiryDelayMs(now + 5_000, now, resyncMs), 5_000 + expiryMarginMs);
    // The control plane's clock is behind this one: it still gave the binding.
    assert.equal(expiryDelayMs(now - 3_000, now, resyncMs), expiryMarginMs);
    // Days away, past what a timer can hold: the next full pass reads it again.
    assert.equal(expiryDelayMs(now + 30 * 86_400_000, now, resyncMs), resyncMs);
  });
});
