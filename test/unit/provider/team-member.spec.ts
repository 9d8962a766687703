// A TeamMember's preview dry run against a fake client: a team that the same run creates first is
// not held against the membership; a team named by a plain string that does not exist is.
import { strict as assert } from "node:assert";
import { TenancyError } from "../../../model";
import type { TenancyClient } from "../../../client";
import { providerFor } from "../../../provider/kind-provider";
import { teamMemberSpec } from "../../../provider/team-member";

function missingTeamApi(): TenancyClient {
  const missing = () =>
    Promise.reject(
      new TenancyError("not_found", "Team acme-client does not exist", {
        target: { kind: "Team", id: "acme-client" },
      }),
    );
  const api = {
    as: () => api,
    teams: { members: { add: missing, get: missing } },
  };
  return api as unknown as TenancyClient;
}

describe("TeamMember provider check", () => {
  const provider = providerFor(teamMemberSpec, missingTeamApi);
  const inputs = { team: "acme-client", subject: "user:wile.e", __tenancy: { preview: true } };

  it("does not hold a team created earlier in the same run against the membership", async () => {
    const checked = await provider.check(
      {},
      { ...inputs, __tenancy: { preview: true, references: ["team"] } },
    );
    assert.deepEqual(checked.failures, []);
  });

  it("reports a team named by a plain string that does not exist, on the team field", async () => {
    const checked = await provider.check({}, inputs);
    assert.equal(checked.failures[0]?.property, "team");
    assert.match(checked.failures[0]!.reason, /Team acme-client does not exist/);
  });
});
