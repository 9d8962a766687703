import { strict as assert } from "node:assert";
import fc from "fast-check";
import { formatQuantity, normalizeQuantity, parseQuantity } from "../../../model";

describe("quantities", () => {
  it("parses Kubernetes forms into exact thousandths", () => {
    assert.equal(parseQuantity("500m"), 500n);
    assert.equal(parseQuantity("2"), 2000n);
    assert.equal(parseQuantity(2), 2000n);
    assert.equal(parseQuantity("1.5"), 1500n);
    assert.equal(parseQuantity("16Gi"), 16n * 2n ** 30n * 1000n);
    assert.equal(parseQuantity("1.5Ti"), 3n * 2n ** 39n * 1000n);
    assert.equal(parseQuantity("100M"), 100_000_000_000n);
  });

  it("writes one canonical form", () => {
    assert.equal(normalizeQuantity("2048Mi"), "2Gi");
    assert.equal(normalizeQuantity("1.5Ti"), "1536Gi");
    assert.equal(normalizeQuantity("0.5"), "500m");
    assert.equal(normalizeQuantity("1000m"), "1");
    assert.equal(normalizeQuantity("1000"), "1k");
    assert.equal(normalizeQuantity("1001"), "1001");
    assert.equal(normalizeQuantity("1024"), "1Ki");
    assert.equal(normalizeQuantity("0"), "0");
  });

  it("refuses what is not a quantity, or finer than a thousandth", () => {
    for (const bad of ["", "abc", "-1", "1.2.3", "5 Gi", "1e3", "0.5m", "1Zi"]) {
      assert.throws(() => parseQuantity(bad), RangeError, bad);
    }
    assert.throws(() => parseQuantity(Number.NaN), RangeError);
    assert.throws(() => parseQuantity(-2), RangeError);
  });

  it("round-trips: the canonical text parses back to the same amount", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 70n }), (milli) => {
        assert.equal(parseQuantity(formatQuantity(milli)), milli);
      }),
    );
  });

  it("normalises idempotently", () => {
    const suffix = fc.constantFrom("", "m", "k", "M", "G", "Ki", "Mi", "Gi", "Ti");
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), suffix, (n, s) => {
        const once = normalizeQuantity(`${n}${s}`);
        assert.equal(normalizeQuantity(once), once);
      }),
    );
  });
});

describe("quantities given as numbers", () => {
  it("follow the rules of the same amount written as a string", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 12 }), fc.integer({ min: 0, max: 6 }), (digits, places) => {
        const text = places === 0 ? String(digits) : (digits / 10 ** places).toFixed(places);
        const asNumber = Number(text);
        const outcome = (input: string | number) => {
          try {
            return parseQuantity(input).toString();
          } catch (err) {
            return (err as Error).message.replace(/^'[^']*'/, "'…'");
          }
        };
        // A number behaves as the decimal text it was written from: same amount, or same refusal.
        assert.equal(outcome(asNumber), outcome(text));
      }),
    );
  });

  it("refuses 0.0001 for its precision instead of rounding it to 0", () => {
    assert.throws(() => parseQuantity(0.0001), /more precise than a thousandth/);
    assert.throws(() => parseQuantity(1e-7), /more precise than a thousandth/);
    assert.equal(parseQuantity(1e-3), 1n);
    assert.equal(parseQuantity(1.5e3), 1_500_000n);
  });
});
