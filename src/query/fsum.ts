/**
 * Exact floating-point summation (Shewchuk's algorithm, as in Python's
 * `math.fsum`). A sum is kept as a list of non-overlapping partials whose
 * exact total is the true sum; rounding happens once, at the end. So the
 * sum of a field does not depend on how documents fall on shards or in
 * which order partial sums are merged.
 */

/** Adds `x` to the partials in place. */
export function addExact(partials: number[], x: number): void {
  let i = 0;
  for (let j = 0; j < partials.length; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) [x, y] = [y, x];
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  partials.length = i;
  partials.push(x);
}

/** Adds every partial of `other` into `into`. */
export function mergeExact(into: number[], other: readonly number[]): void {
  for (const x of other) addExact(into, x);
}

/** The correctly rounded value of the exact sum; NaN when it left the double range. */
export function roundExact(partials: readonly number[]): number {
  if (partials.some((p) => !Number.isFinite(p))) return NaN;
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
