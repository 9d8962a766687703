// Pieces every page uses.
import type { ComponentChildren } from "preact";
import type { Loaded } from "./poll";
import { refreshSeconds } from "./poll";

/** Loading, the error that keeps the data from being fresh, or when it was read. */
export function Freshness<T>({ state }: { state: Loaded<T> }) {
  if (state.error) {
    return (
      <p class="status error" role="alert">
        {state.error.message}
        {state.data ? " (showing what was read before)" : ""}
      </p>
    );
  }
  if (!state.at) return <p class="status">Loading…</p>;
  return (
    <p class="status" aria-live="off">
      Read at {state.at.toLocaleTimeString()}; refreshes every {refreshSeconds} s.
    </p>
  );
}

export function Badge({ children, tone = "plain" }: { children: ComponentChildren; tone?: string }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

/** A share of a limit, as a bar with its number beside it. */
export function Meter({ percent, label }: { percent: number; label: string }) {
  const tone = percent >= 90 ? "high" : percent >= 70 ? "mid" : "low";
  return (
    <span class="meter-wrap">
      <meter
        class={tone}
        min={0}
        max={100}
        low={70}
        high={90}
        optimum={0}
        value={Math.min(percent, 100)}
        aria-label={label}
      />
      <span class="meter-text">{label}</span>
    </span>
  );
}

export function Section({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <section aria-label={title}>
      <h2>{title}</h2>
      {children}
    </section>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

export function When({ at }: { at: string }) {
  return <time dateTime={at}>{new Date(at).toLocaleString()}</time>;
}

export function Manager({ managedBy }: { managedBy: { stack: string; urn: string } | null }) {
  if (!managedBy) return <span>made by hand (no Pulumi resource)</span>;
  return (
    <span>
      stack <code>{managedBy.stack}</code>, resource <code class="urn">{managedBy.urn}</code>
    </span>
  );
}
