// Kubernetes-style quantities ("500m", "2", "16Gi", "1.5Ti") parsed into base units and written back
// in one canonical form, so equal amounts always compare and diff as equal.

const binarySuffixes: [string, number][] = [
  ["Ei", 2 ** 60],
  ["Pi", 2 ** 50],
  ["Ti", 2 ** 40],
  ["Gi", 2 ** 30],
  ["Mi", 2 ** 20],
  ["Ki", 2 ** 10],
];
const decimalSuffixes: [string, number][] = [
  ["E", 1e18],
  ["P", 1e15],
  ["T", 1e12],
  ["G", 1e9],
  ["M", 1e6],
  ["k", 1e3],
];
const multipliers = new Map<string, number>([...binarySuffixes, ...decimalSuffixes, ["m", 1e-3], ["", 1]]);
const quantityPattern = /^(\d+(?:\.\d+)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E|m)?$/;

/** The amount in base units (cores, bytes, devices), in thousandths: exact for every valid input. */
export type Milli = bigint;

/** The largest quantity accepted: 10^21 units (1000E). Sums of reservations stay far inside the
 * store's 40-digit columns. */
export const maxQuantity: Milli = 10n ** 24n;

/** Parses a quantity; throws a RangeError saying what is wrong. */
export function parseQuantity(input: string | number): Milli {
  const text = typeof input === "number" ? numberText(input) : input.trim();
  const match = quantityPattern.exec(text);
  if (!match) {
    throw new RangeError(`'${input}' is not a quantity (examples: 500m, 2, 1.5, 16Gi, 100M)`);
  }
  const [, digits = "", suffix = ""] = match;
  const multiplier = multipliers.get(suffix)!;
  // Work in thousandths with integers: multiply the decimal digits exactly, then check that
  // nothing finer than a thousandth of a unit remains.
  const [whole = "", fraction = ""] = digits.split(".");
  const scale = 10n ** BigInt(fraction.length);
  const numerator = BigInt((whole || "0") + fraction);
  const milliMultiplier = suffix === "m" ? 1n : BigInt(multiplier) * 1000n;
  const product = numerator * milliMultiplier;
  if (product % scale !== 0n) {
    throw new RangeError(`'${input}' is more precise than a thousandth of a unit`);
  }
  const milli = product / scale;
  if (milli > maxQuantity) {
    throw new RangeError(`'${input}' is larger than the largest quantity accepted (1000E)`);
  }
  return milli;
}

/** A number's exact decimal text, without exponent: numbers follow the same rules as strings, so
 * 0.0001 is refused for its precision rather than rounded to 0. */
function numberText(value: number): string {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${value} is not a quantity`);
  const [mantissa = "", exponentText = "0"] = value.toString().split("e");
  const exponent = Number(exponentText);
  const [whole = "", fraction = ""] = mantissa.split(".");
  const digits = whole + fraction;
  const point = whole.length + exponent;
  if (point <= 0) return `0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + "0".repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The canonical text of an amount: the largest exact binary or decimal suffix, else milli-units. */
export function formatQuantity(milli: Milli): string {
  if (milli % 1000n !== 0n) return `${milli}m`;
  const units = milli / 1000n;
  if (units === 0n) return "0";
  for (const [suffix, size] of binarySuffixes) {
    if (units % BigInt(size) === 0n) return `${units / BigInt(size)}${suffix}`;
  }
  for (const [suffix, size] of decimalSuffixes) {
    if (units % BigInt(size) === 0n) return `${units / BigInt(size)}${suffix}`;
  }
  return units.toString();
}

/** Parses and writes back in canonical form: `normalizeQuantity("2048Mi") === "2Gi"`. */
export function normalizeQuantity(input: string | number): string {
  return formatQuantity(parseQuantity(input));
}
