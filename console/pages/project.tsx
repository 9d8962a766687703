// A project's page: its description, its environments at a glance and who has access.
import type { ProjectPage as ProjectData } from "../../model/console";
import { apiPath, get } from "../api";
import { usePolled } from "../poll";
import { Badge, Empty, Freshness, Manager, Section } from "../parts";
import { Cell } from "./matrix";
import { AccessTable } from "./pair";

export function ProjectPage({ project }: { project: string }) {
  const state = usePolled(() => get<ProjectData>(apiPath("console", "projects", project)), project);
  const data = state.data;
  return (
    <main>
      <p class="crumbs">
        <a href="/ui/">Matrix</a> / {project}
      </p>
      <h1>
        Project {project} {data?.archived && <Badge tone="archived">archived</Badge>}
      </h1>
      <Freshness state={state} />
      {data && (
        <>
          <p class="description">{data.description ?? "No description."}</p>
          <dl class="facts">
            <dt>Labels</dt>
            <dd>
              {Object.keys(data.labels).length === 0
                ? "none"
                : Object.entries(data.labels).map(([k, v]) => (
                    <Badge key={k}>
                      {k}={v}
                    </Badge>
                  ))}
            </dd>
            <dt>Managed by</dt>
            <dd>
              <Manager managedBy={data.managedBy} />
            </dd>
          </dl>
          <Section title="Environments">
            {data.environments.length === 0 ? (
              <Empty>No environment this token may read.</Empty>
            ) : (
              <ul class="cells">
                {data.environments.map((cell) => (
                  <li key={cell.name}>
                    <span class="domain">{cell.domain}</span>
                    <Cell project={project} cell={cell} />
                  </li>
                ))}
              </ul>
            )}
          </Section>
          <Section title="Access">
            <AccessTable access={data.access} />
          </Section>
        </>
      )}
    </main>
  );
}
