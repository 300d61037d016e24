import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { addExact, mergeExact, roundExact } from "../../../src/query/fsum.js";

const sumOf = (xs: number[]) => {
  const p: number[] = [];
  for (const x of xs) addExact(p, x);
  return roundExact(p);
};

describe("exact summation", () => {
  it("is exact where naive addition is not", () => {
    expect(0.1 + 0.2 + 0.3).not.toBe(0.6);
    expect(sumOf([0.1, 0.2, 0.3])).toBe(0.6);
    expect(sumOf([1e100, 1, -1e100])).toBe(1);
    expect(sumOf([])).toBe(0);
  });

  it("does not depend on order or on how partial sums are split and merged", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1e300, max: 1e300, noNaN: true }), { maxLength: 40 }), fc.integer({ min: 0, max: 40 }), (xs, cut) => {
        const whole = sumOf(xs);
        expect(sumOf([...xs].reverse())).toBe(whole);
        const left: number[] = [];
        const right: number[] = [];
        xs.slice(0, cut).forEach((x) => addExact(left, x));
        xs.slice(cut).forEach((x) => addExact(right, x));
        mergeExact(left, right);
        expect(roundExact(left)).toBe(whole);
      }),
    );
  });
});
