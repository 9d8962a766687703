// Change requests and access requests: what waits for an approver, with its masked diff, and the
// buttons that decide on it. The page lists every request the token may see; a pair's dashboard
// shows the pending ones of its environment.
import { useState } from "preact/hooks";
import type { AccessRequest, ChangeRequest, FieldChange } from "../../model/approval";
import { ApiError, apiPath, get, pagePath, post } from "../api";
import { usePolled } from "../poll";
import { Badge, Empty, Freshness, Section, When } from "../parts";

type Kind = "change-requests" | "access-requests";

/** A value of a diff as text; a sealed secret value arrives as `(changed)` and shows as that. */
function shown(value: unknown): string {
  if (value === undefined) return "(none)";
  return typeof value === "string" ? value : JSON.stringify(value);
}

function Diff({ diff }: { diff: FieldChange[] }) {
  if (diff.length === 0) return <span class="muted">no field changes</span>;
  return (
    <ul class="diff">
      {diff.map((change) => (
        <li key={change.field}>
          <code>{change.field}</code>: <del>{shown(change.before)}</del> → <ins>{shown(change.after)}</ins>
        </li>
      ))}
    </ul>
  );
}

/** Approve and reject, with an optional comment; the server says whether this token may. */
function Decide({ kind, id, onDecided }: { kind: Kind; id: string; onDecided: () => void }) {
  const [comment, setComment] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const decide = async (decision: "approve" | "reject") => {
    setBusy(true);
    setError(undefined);
    try {
      await post(apiPath(kind, id, decision), comment.trim() === "" ? {} : { comment: comment.trim() });
      setComment("");
      onDecided();
    } catch (err) {
      setError(err instanceof ApiError ? `${err.code}: ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="decide">
      <input
        type="text"
        aria-label={`Comment on ${id}`}
        placeholder="comment (optional)"
        maxLength={1000}
        value={comment}
        onInput={(e) => setComment((e.target as HTMLInputElement).value)}
      />
      <button type="button" disabled={busy} onClick={() => void decide("approve")}>
        Approve
      </button>
      <button type="button" disabled={busy} onClick={() => void decide("reject")}>
        Reject
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A request's id and when it was made, heading its row. */
function RequestCell({ request }: { request: { id: string; createdAt: string } }) {
  return (
    <th scope="row">
      <code>{request.id}</code>
      <div class="muted">
        <When at={request.createdAt} />
      </div>
    </th>
  );
}

function Status({ status }: { status: string }) {
  return <Badge tone={status === "pending" ? "protected" : "plain"}>{status}</Badge>;
}

function Approvals({ request }: { request: { approvals: ChangeRequest["approvals"] } }) {
  const approvals = request.approvals.filter((a) => a.decision === "approve");
  return <>{approvals.length === 0 ? "none yet" : approvals.map((a) => a.approver).join(", ")}</>;
}

export function ChangeRequestTable({
  requests,
  onDecided,
}: {
  requests: ChangeRequest[];
  onDecided: () => void;
}) {
  if (requests.length === 0) return <Empty>No change request.</Empty>;
  return (
    <table class="requests">
      <thead>
        <tr>
          <th scope="col">Request</th>
          <th scope="col">Environment</th>
          <th scope="col">Change</th>
          <th scope="col">Author</th>
          <th scope="col">Approvals</th>
          <th scope="col">Status</th>
          <th scope="col">Decide</th>
        </tr>
      </thead>
      <tbody>
        {requests.map((r) => (
          <tr key={r.id} data-request={r.id}>
            <RequestCell request={r} />
            <td>
              <a href={pagePath("projects", r.project, "environments", r.environment)}>
                {r.project}/{r.environment}
              </a>
            </td>
            <td>
              <code>{r.operation}</code>
              <Diff diff={r.diff} />
            </td>
            <td>
              <code>{r.author}</code>
            </td>
            <td>
              <Approvals request={r} /> ({r.required} needed of {r.approvers.join(", ")})
            </td>
            <td>
              <Status status={r.status} />
              {r.comment !== undefined && <div class="muted">{r.comment}</div>}
            </td>
            <td>
              {r.status === "pending" && <Decide kind="change-requests" id={r.id} onDecided={onDecided} />}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function AccessRequestTable({
  requests,
  onDecided,
}: {
  requests: AccessRequest[];
  onDecided: () => void;
}) {
  if (requests.length === 0) return <Empty>No access request.</Empty>;
  return (
    <table class="requests">
      <thead>
        <tr>
          <th scope="col">Request</th>
          <th scope="col">Who</th>
          <th scope="col">Role, where, how long</th>
          <th scope="col">Reason</th>
          <th scope="col">Status</th>
          <th scope="col">Decide</th>
        </tr>
      </thead>
      <tbody>
        {requests.map((r) => (
          <tr key={r.id} data-request={r.id}>
            <RequestCell request={r} />
            <td>
              <code>{r.requester}</code>
            </td>
            <td>
              {r.role} on {r.environment ? `${r.project}/${r.environment}` : `project ${r.project}`} for{" "}
              {r.duration}
            </td>
            <td>{r.reason}</td>
            <td>
              <Status status={r.status} />
              {r.bindingExpiresAt !== undefined && (
                <div class="muted">
                  until <When at={r.bindingExpiresAt} />
                </div>
              )}
            </td>
            <td>
              {r.status === "pending" && <Decide kind="access-requests" id={r.id} onDecided={onDecided} />}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface Requests {
  changes: ChangeRequest[];
  access: AccessRequest[];
}

/** The requests of `filter`: both kinds, read together. */
function useRequests(filter: { status?: string; project?: string; environment?: string }) {
  return usePolled<Requests>(async () => {
    const [changes, access] = await Promise.all([
      get<ChangeRequest[]>(apiPath("change-requests"), filter),
      get<AccessRequest[]>(apiPath("access-requests"), filter),
    ]);
    return { changes, access };
  }, JSON.stringify(filter));
}

/** A pair's pending requests, for its dashboard; a decision reads them and the dashboard again. */
export function PendingRequests({
  project,
  environment,
  onDecided,
}: {
  project: string;
  environment: string;
  onDecided: () => void;
}) {
  const state = useRequests({ status: "pending", project, environment });
  if (state.error && !state.data) return <Freshness state={state} />;
  if (!state.data) return null;
  const decided = () => {
    state.reload();
    onDecided();
  };
  return (
    <>
      <ChangeRequestTable requests={state.data.changes} onDecided={decided} />
      {state.data.access.length > 0 && (
        <AccessRequestTable requests={state.data.access} onDecided={decided} />
      )}
    </>
  );
}

export function RequestsPage() {
  const [all, setAll] = useState(new URLSearchParams(location.search).get("status") === "all");
  const state = useRequests(all ? {} : { status: "pending" });
  const show = (everything: boolean) => {
    setAll(everything);
    history.replaceState(null, "", everything ? "?status=all" : location.pathname);
  };
  return (
    <main>
      <p class="crumbs">
        <a href="/ui/">Matrix</a> / Requests
      </p>
      <h1>Requests</h1>
      <div class="filters">
        <label>
          Show{" "}
          <select
            value={all ? "all" : "pending"}
            onChange={(e) => show((e.target as HTMLSelectElement).value === "all")}
          >
            <option value="pending">pending</option>
            <option value="all">all</option>
          </select>
        </label>
      </div>
      <Freshness state={state} />
      {state.data && (
        <>
          <Section title="Change requests">
            <ChangeRequestTable requests={state.data.changes} onDecided={state.reload} />
          </Section>
          <Section title="Access requests">
            <AccessRequestTable requests={state.data.access} onDecided={state.reload} />
          </Section>
        </>
      )}
    </main>
  );
}
