import { describe, expect, it } from "vitest";
import { createKeyChooser, createPermutation, createRandom, createZipfian, distinctKeys, zipfianProbabilities } from "../../../bench/lib/keys.js";

describe("benchmark keys", () => {
  it("the same seed draws the same keys, another seed other keys", () => {
    const draw = (seed: number) => Array.from({ length: 50 }, createKeyChooser(1_000, seed));
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it("zipfian draws follow the zipfian probabilities: rank 0 hottest, at its expected rate", () => {
    const n = 1_000;
    const draws = 100_000;
    const next = createZipfian(n, createRandom(1));
    const counts = new Array<number>(n).fill(0);
    let outOfRange = 0;
    for (let i = 0; i < draws; i++) {
      const rank = next();
      if (!(rank >= 0 && rank < n && Number.isInteger(rank))) outOfRange++;
      else counts[rank]!++;
    }
    expect(outOfRange).toBe(0);
    const p = zipfianProbabilities(n);
    expect(counts[0]! / draws).toBeCloseTo(p[0]!, 2);
    expect(counts[0]!).toBeGreaterThan(counts[1]!);
    expect(counts[1]!).toBeGreaterThan(counts[10]!);
    // The hottest 10% of records take most of the requests, as YCSB's zipfian does.
    const top = counts.slice(0, n / 10).reduce((a, b) => a + b, 0);
    expect(top / draws).toBeGreaterThan(0.6);
  });

  it("the scrambling permutation moves every record exactly once", () => {
    const perm = createPermutation(500, createRandom(3));
    expect([...perm].sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect([...perm].slice(0, 10)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("batches get distinct keys, and a batch larger than the records is refused", () => {
    const keys = distinctKeys(createKeyChooser(1_000, 5), 100, 1_000);
    expect(new Set(keys).size).toBe(100);
    expect(() => distinctKeys(createKeyChooser(50, 5), 100, 50)).toThrow(RangeError);
  });
});
