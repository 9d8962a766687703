import { strict as assert } from "node:assert";
import { nameProblem, namespaceProblem } from "../../../model";

describe("names", () => {
  it("accepts slugs of 1-40 characters that start with a letter and end with a letter or digit", () => {
    for (const good of ["a", "web", "acme-prod", "a1", `a${"b".repeat(39)}`])
      assert.equal(nameProblem(good), undefined, good);
  });

  it("refuses everything else, saying why", () => {
    assert.match(nameProblem("")!, /empty/);
    assert.match(nameProblem(`a${"b".repeat(40)}`)!, /at most 40/);
    for (const bad of ["Web", "1web", "web-", "-web", "we_b", "we b", "wéb"])
      assert.ok(nameProblem(bad), bad);
  });

  it("keeps project-environment a DNS label", () => {
    assert.equal(namespaceProblem("a".repeat(31), "b".repeat(31)), undefined);
    assert.match(namespaceProblem("a".repeat(32), "b".repeat(31))!, /at most 63/);
  });
});
