/**
 * Exact floating-point summation, over the whole double range.
 *
 * A sum is kept as a list of non-overlapping partials whose exact total is
 * the running sum (Shewchuk's algorithm, "Adaptive Precision Floating-Point
 * Arithmetic and Fast Robust Geometric Predicates", 1997, as in Python's
 * `math.fsum`); rounding happens once, at the end. So the sum of a field
 * does not depend on how documents fall on shards or in which order partial
 * sums are merged.
 *
 * Partials are doubles, so a running sum beyond the double range (two
 * values of 1.7e308) would overflow them. When an addition would, the
 * partials and the addend move, exactly, into `spill`: an integer count of
 * 2^-1074 (the smallest subnormal; every double is a whole multiple of it).
 * The common case stays in fast double arithmetic; the rare overflow stays
 * exact. The final value is rounded once, to nearest with ties to even, and
 * a total beyond the double range is reported as such (±Infinity), which
 * the aggregator turns into an error for SUM and never meets for AVG (a
 * mean lies within the range of its values).
 */

/** A running exact sum: `spill` × 2^-1074 plus the exact total of `partials`. Plain data, so it crosses Workers RPC. */
export interface ExactSum {
  partials: number[];
  spill: bigint;
}

/** An empty sum (zero). */
export function emptySum(): ExactSum {
  return { partials: [], spill: 0n };
}

/** Adds the finite double `x` to `sum`, exactly. */
export function addExact(sum: ExactSum, x: number): void {
  const partials = sum.partials;
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    if (!Number.isFinite(hi)) {
      // Everything still owed: the partials written so far, x and y, and the rest.
      let spill = sum.spill + toUnits(x) + toUnits(y);
      for (let k = 0; k < i; k++) spill += toUnits(partials[k]!);
      for (let k = j + 1; k < partials.length; k++) spill += toUnits(partials[k]!);
      sum.spill = spill;
      partials.length = 0;
      return;
    }
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  partials.push(x);
}

/** Adds every part of `other` into `into`. */
export function mergeExact(into: ExactSum, other: ExactSum): void {
  into.spill += other.spill;
  for (const x of other.partials) addExact(into, x);
}

/** The correctly rounded value of the exact sum; ±Infinity when it lies beyond the double range. */
export function roundExact(sum: ExactSum): number {
  if (sum.spill === 0n) return roundPartials(sum.partials);
  return fromUnits(totalUnits(sum), 0);
}

/**
 * The mean `sum / count`. Within the double range it is the rounded sum
 * divided by the count, as before; when the sum spilled it is computed
 * from the exact integer total with 64 extra bits and rounded once.
 */
export function meanExact(sum: ExactSum, count: number): number {
  if (!(count > 0 && Number.isSafeInteger(count))) throw new Error("invariant broken: a mean is over a positive count");
  const rounded = roundExact(sum);
  if (Number.isFinite(rounded)) return rounded / count;
  const total = totalUnits(sum);
  const negative = total < 0n;
  const scaled = (negative ? -total : total) << 64n;
  const n = BigInt(count);
  let quotient = scaled / n;
  // A sticky bit below the 64 extra bits keeps round-to-nearest exact.
  if (quotient * n !== scaled) quotient |= 1n;
  const mean = fromUnits(quotient, 64);
  return negative ? -mean : mean;
}

function totalUnits(sum: ExactSum): bigint {
  let total = sum.spill;
  for (const p of sum.partials) total += toUnits(p);
  return total;
}

function roundPartials(partials: readonly number[]): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // Round half to even across the remaining partials.
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi;
}

const view = new DataView(new ArrayBuffer(8));
const MANTISSA_BITS = 52n;

/** The finite double `x` as an exact whole number of 2^-1074 units. */
export function toUnits(x: number): bigint {
  if (!Number.isFinite(x)) throw new Error("invariant broken: summed values are finite");
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased !== 0) mantissa |= 1n << MANTISSA_BITS;
  // A double is mantissa × 2^(max(biased, 1) - 1075) = (mantissa << (max(biased, 1) - 1)) × 2^-1074.
  const units = mantissa << BigInt(Math.max(biased, 1) - 1);
  return hi >>> 31 === 1 ? -units : units;
}

/**
 * The double nearest to `units` × 2^-(1074 + extraBits), ties to even;
 * ±Infinity beyond the range. Built from its bits: the 53 (or, for
 * subnormals, fewer) leading bits rounded on the rest, then written with
 * the biased exponent, where a mantissa that rounds up to 2^53 carries into
 * the exponent by plain addition, as the format intends.
 */
export function fromUnits(units: bigint, extraBits: number): number {
  if (units === 0n) return 0;
  const negative = units < 0n;
  const a = negative ? -units : units;
  const length = a.toString(2).length;
  // Bits at or above 2^-1074 are kept for subnormals; 53 bits for normals.
  const subnormalShift = extraBits;
  const normalShift = length - 53;
  const exponent = length - 1 - 1074 - extraBits; // of the leading bit
  let raw: bigint;
  if (exponent < -1022) {
    raw = roundShift(a, subnormalShift);
  } else {
    const m = normalShift >= 0 ? roundShift(a, normalShift) : a << BigInt(-normalShift);
    raw = (BigInt(exponent + 1022) << MANTISSA_BITS) + m;
    if (raw >= 0x7ff0000000000000n) return negative ? -Infinity : Infinity;
  }
  view.setBigUint64(0, raw);
  const value = view.getFloat64(0);
  return negative ? -value : value;
}

/** `a` >> `shift`, rounded to nearest, ties to even. */
function roundShift(a: bigint, shift: number): bigint {
  if (shift <= 0) return a << BigInt(-shift);
  const s = BigInt(shift);
  const q = a >> s;
  const rest = a - (q << s);
  const half = 1n << (s - 1n);
  return rest > half || (rest === half && (q & 1n) === 1n) ? q + 1n : q;
}
