import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { addExact, emptySum, fromUnits, meanExact, mergeExact, roundExact, toUnits, type ExactSum } from "../../../src/query/fsum.js";
import { EDGE_NUMBERS } from "./arbitraries.js";

const sumOf = (xs: number[]): ExactSum => {
  const s = emptySum();
  for (const x of xs) addExact(s, x);
  return s;
};

/** The exact total in units of 2^-1074, by plain BigInt addition: the reference. */
const unitsOf = (xs: number[]) => xs.reduce((t, x) => t + toUnits(x), 0n);

const anyDouble = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...EDGE_NUMBERS));

describe("exact summation", () => {
  it("is exact where naive addition is not", () => {
    expect(0.1 + 0.2 + 0.3).not.toBe(0.6);
    expect(roundExact(sumOf([0.1, 0.2, 0.3]))).toBe(0.6);
    expect(roundExact(sumOf([1e100, 1, -1e100]))).toBe(1);
    expect(roundExact(sumOf([]))).toBe(0);
  });

  it("keeps going past the double range: a sum that overflows and comes back is still exact", () => {
    expect(roundExact(sumOf([1.7e308, 1.7e308]))).toBe(Infinity);
    expect(roundExact(sumOf([-1.7e308, -1.7e308]))).toBe(-Infinity);
    expect(roundExact(sumOf([1.7e308, 1.7e308, -1.7e308, 1e-300]))).toBe(1.7e308);
    expect(roundExact(sumOf([1.7e308, 1.7e308, -1.7e308, -1.7e308, 5e-324]))).toBe(5e-324);
    expect(meanExact(sumOf([1.7e308, 1.7e308]), 2)).toBe(1.7e308);
    expect(meanExact(sumOf([Number.MAX_VALUE, Number.MAX_VALUE, Number.MAX_VALUE]), 3)).toBe(Number.MAX_VALUE);
    expect(meanExact(sumOf([-1.7e308, -1.7e308]), 2)).toBe(-1.7e308);
  });

  it("rounds the exact total once, to nearest, over the whole range", () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { maxLength: 30 }), (xs) => {
        const exact = unitsOf(xs);
        expect(roundExact(sumOf(xs)) + 0).toBe(fromUnits(exact, 0)); // + 0: a sum of -0 alone is -0, which JSON stores as 0
      }),
      { numRuns: 1000 },
    );
    // Units round-trip every double exactly.
    fc.assert(
      fc.property(anyDouble, (x) => {
        expect(fromUnits(toUnits(x), 0)).toBe(x === 0 ? 0 : x);
      }),
      { numRuns: 2000 },
    );
  });

  it("does not depend on order or on how partial sums are split and merged", () => {
    fc.assert(
      fc.property(fc.array(anyDouble, { maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (xs, cut) => {
        const whole = roundExact(sumOf(xs));
        expect(roundExact(sumOf([...xs].reverse()))).toBe(whole);
        const left = sumOf(xs.slice(0, cut));
        mergeExact(left, sumOf(xs.slice(cut)));
        expect(roundExact(left)).toBe(whole);
      }),
      { numRuns: 500 },
    );
  });
});
