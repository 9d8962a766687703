// The audit log, newest first, filtered by actor, kind and project, a page at a time. Org admins
// only, as in the API.
import { useState } from "preact/hooks";
import type { AuditEntry } from "../../model/audit";
import { get } from "../api";
import { usePolled } from "../poll";
import { Empty, Freshness, When } from "../parts";

const pageSize = 50;
const kinds = [
  "Domain",
  "Project",
  "Environment",
  "Quota",
  "ResourceDefaults",
  "SecretBinding",
  "RoleBinding",
  "Reservation",
  "Team",
  "TeamMember",
  "Token",
];

/** Audit entries, newest first: when, who, what, and the object. */
export function AuditTable({ entries }: { entries: AuditEntry[] }) {
  return (
    <table class="audit">
      <thead>
        <tr>
          <th scope="col">When</th>
          <th scope="col">Who</th>
          <th scope="col">What</th>
          <th scope="col">Kind</th>
          <th scope="col">Object</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr key={entry.id}>
            <td>
              <When at={entry.at} />
            </td>
            <td>{entry.actor}</td>
            <td>
              <code>{entry.action}</code>
            </td>
            <td>{entry.targetKind}</td>
            <td>
              <code>{entry.targetId}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Filters {
  actor: string;
  targetKind: string;
  project: string;
}

export function AuditPage() {
  const [draft, setDraft] = useState<Filters>({ actor: "", targetKind: "", project: "" });
  const [filters, setFilters] = useState<Filters>(draft);
  // The ids each shown page starts below: the first page starts at the newest entry.
  const [cursors, setCursors] = useState<(number | undefined)[]>([undefined]);
  const before = cursors.at(-1);
  const key = JSON.stringify({ filters, before });
  // Only the newest page refreshes itself; an older page stays as it was read.
  const state = usePolled(
    () =>
      get<AuditEntry[]>("/v1/audit", {
        ...filters,
        limit: String(pageSize),
        before: before === undefined ? undefined : String(before),
      }),
    key,
    before === undefined ? undefined : 0,
  );
  const entries = state.data ?? [];
  const field = (name: keyof Filters) => ({
    value: draft[name],
    onInput: (e: Event) => setDraft({ ...draft, [name]: (e.target as HTMLInputElement).value }),
  });
  return (
    <main>
      <h1>Audit log</h1>
      <form
        class="filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters(draft);
          setCursors([undefined]);
        }}
      >
        <span class="field">
          <label for="audit-actor">Actor</label>
          <input id="audit-actor" type="search" {...field("actor")} />
        </span>
        <span class="field">
          <label for="audit-kind">Kind</label>
          <select id="audit-kind" {...field("targetKind")}>
            <option value="">any</option>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </span>
        <span class="field">
          <label for="audit-project">Project</label>
          <input id="audit-project" type="search" {...field("project")} />
        </span>
        <button type="submit">Filter</button>
      </form>
      {state.error?.status === 403 ? (
        <p class="status error" role="alert">
          The audit log is for org admins: {state.error.message}
        </p>
      ) : (
        <Freshness state={state} />
      )}
      {state.data && entries.length === 0 && <Empty>No entry matches.</Empty>}
      {entries.length > 0 && <AuditTable entries={entries} />}
      <nav class="pager" aria-label="Pages">
        <button
          type="button"
          disabled={cursors.length === 1}
          onClick={() => setCursors(cursors.slice(0, -1))}
        >
          Newer
        </button>
        <button
          type="button"
          disabled={entries.length < pageSize}
          onClick={() => setCursors([...cursors, entries.at(-1)!.id])}
        >
          Older
        </button>
      </nav>
    </main>
  );
}
