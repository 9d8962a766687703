import * as m from "../../../model";
import { route } from "../route";

export const changesRoutes = [
  route({
    method: "GET",
    url: "/v1/changes",
    operationId: "listChanges",
    tag: "changes",
    summary:
      "Follow what changed, in commit order: the changes after `after` that the caller may read; `wait` (≤ 60 s) holds the request until there is one",
    response: m.changePageSchema,
    errorStatuses: [410],
    handle: (s, r) => s.changes.list(r.actor, r.query),
  }),
];
