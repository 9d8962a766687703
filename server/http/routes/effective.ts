import * as m from "../../../model";
import { envUrl as env, route } from "../route";

export const effectiveRoutes = [
  route({
    method: "GET",
    url: `${env}/effective`,
    operationId: "getEffectiveConfig",
    tag: "effective",
    summary: "Effective defaults (with the scope of each field), quota, usage and secret names",
    response: m.effectiveConfigSchema,
    authenticatedRead: "effective",
    handle: (s, r) => s.effective.get(r.actor, r.params.project, r.params.environment),
  }),
];
