import { strict as assert } from "node:assert";
import { TenancyError, errorCodes, fromProblem, toProblem, type ErrorCode } from "../../../model";

describe("the error registry", () => {
  it("round-trips every code through problem+json with its status, fields and target", () => {
    for (const code of Object.keys(errorCodes) as ErrorCode[]) {
      const error = new TenancyError(code, `detail of ${code}`, {
        errors: [{ path: "requests.cpu", message: "too big" }],
        target: { kind: "Environment", id: "web/production" },
      });
      const problem = toProblem(error);
      assert.equal(problem.status, errorCodes[code]);
      const back = fromProblem(JSON.parse(JSON.stringify(problem)));
      assert.equal(back.code, code);
      assert.equal(back.status, error.status);
      assert.deepEqual(back.errors, error.errors);
      assert.deepEqual(back.target, error.target);
      assert.equal(back.message, error.message);
    }
  });

  it("recognises its errors across module copies by brand, not by class identity", () => {
    const foreign = Object.assign(new Error("x"), { __tenancyError: true, code: "conflict" });
    assert.ok(TenancyError.isInstance(foreign));
    assert.ok(!TenancyError.isInstance(new Error("plain")));
    assert.ok(!TenancyError.isInstance(null));
  });
});
