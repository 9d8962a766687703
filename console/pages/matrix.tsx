// The project × domain matrix: one request for the whole organisation the token may read.
import { useState } from "preact/hooks";
import type { EnvironmentCell, Matrix, ProjectRow } from "../../model/console";
import { get, pagePath } from "../api";
import { usePolled } from "../poll";
import { Badge, Empty, Freshness, Meter } from "../parts";

/** `key=value` or `key`, matched against the project's labels. */
function matchesLabel(project: ProjectRow, filter: string): boolean {
  const text = filter.trim();
  if (!text) return true;
  const [key, value] = text.split("=", 2) as [string, string | undefined];
  const label = project.labels[key.trim()];
  return label !== undefined && (value === undefined || label === value.trim());
}

export function Cell({ project, cell }: { project: string; cell: EnvironmentCell }) {
  return (
    <div class="cell">
      <a class="env" href={pagePath("projects", project, "environments", cell.name)}>
        {cell.name}
      </a>
      {cell.protected && <Badge tone="protected">protected</Badge>}
      {cell.fullest ? (
        <Meter
          percent={cell.fullest.percent}
          label={`${cell.fullest.dimension} ${formatPercent(cell.fullest.percent)} (${cell.fullest.used} / ${cell.fullest.limit})`}
        />
      ) : (
        <span class="muted">no quota</span>
      )}
      <span class="running">{cell.running} running</span>
      {cell.sync && (
        <Badge tone={cell.sync.state === "synced" ? "plain" : "protected"}>
          {`sync ${cell.sync.state} (${cell.sync.clusters} ${cell.sync.clusters === 1 ? "cluster" : "clusters"})`}
        </Badge>
      )}
    </div>
  );
}

export function formatPercent(percent: number): string {
  return `${percent >= 10 ? Math.round(percent) : Math.round(percent * 10) / 10}%`;
}

export function MatrixPage() {
  const state = usePolled(() => get<Matrix>("/v1/console/matrix"), "matrix");
  const [name, setName] = useState("");
  const [label, setLabel] = useState("");
  const matrix = state.data;
  const projects =
    matrix?.projects.filter(
      (p) => p.name.toLowerCase().includes(name.trim().toLowerCase()) && matchesLabel(p, label),
    ) ?? [];
  return (
    <main>
      <h1>Projects × domains</h1>
      <Freshness state={state} />
      <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Filter by name
          <input type="search" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </label>
        <label>
          Filter by label
          <input
            type="search"
            placeholder="team=storefront"
            value={label}
            onInput={(e) => setLabel((e.target as HTMLInputElement).value)}
          />
        </label>
      </form>
      {matrix && matrix.projects.length === 0 && <Empty>This token may read no project.</Empty>}
      {matrix && matrix.projects.length > 0 && (
        <div class="scroll">
          <table class="matrix">
            <caption>
              {projects.length} of {matrix.projects.length} projects; each cell is an environment, with its
              fullest quota dimension and its running executions.
            </caption>
            <thead>
              <tr>
                <th scope="col">Project</th>
                {matrix.domains.map((d) => (
                  <th scope="col" key={d.name}>
                    {d.name}
                    {d.tier === "production" && <span class="tier"> (production tier)</span>}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {projects.map((p) => (
                <tr key={p.name} class={p.archived ? "archived" : undefined} data-project={p.name}>
                  <th scope="row">
                    <a href={pagePath("projects", p.name)}>{p.name}</a>
                    {p.archived && <Badge tone="archived">archived</Badge>}
                  </th>
                  {matrix.domains.map((d) => {
                    const cells = p.environments.filter((e) => e.domain === d.name);
                    return (
                      <td key={d.name} data-domain={d.name}>
                        {cells.length === 0 ? (
                          <span class="none" aria-label="no environment">
                            —
                          </span>
                        ) : (
                          cells.map((cell) => <Cell key={cell.name} project={p.name} cell={cell} />)
                        )}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
