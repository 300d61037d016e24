import { describe, expect, it } from "vitest";
import { createSignedHistogram } from "../../../bench/lib/signed-histogram.js";

describe("signed delay histogram", () => {
  it("keeps negative delays negative and reads percentiles across both signs", () => {
    const h = createSignedHistogram();
    // Ten delays: -3, -2, -1 ms, then 1..7 ms.
    for (const ms of [-3, -2, -1, 1, 2, 3, 4, 5, 6, 7]) h.record(ms);
    expect(h.count).toBe(10);
    expect(h.negativeCount).toBe(3);
    // HDR keeps 3 significant digits: compare to within 0.1%.
    const near = (us: number, expected: number) => expect(Math.abs(us - expected)).toBeLessThanOrEqual(Math.abs(expected) / 1000 + 1);
    near(h.percentileUs(10), -3000);
    near(h.percentileUs(30), -1000);
    near(h.percentileUs(40), 1000);
    near(h.percentileUs(50), 2000);
    near(h.percentileUs(100), 7000);
    near(h.minUs, -3000);
    near(h.maxUs, 7000);
  });

  it("all-negative delays give a negative median and maximum", () => {
    const h = createSignedHistogram();
    for (const ms of [-5, -4, -3]) h.record(ms);
    expect(h.percentileUs(50)).toBeLessThan(0);
    expect(h.maxUs).toBeLessThan(0);
    expect(h.minUs).toBeLessThan(h.maxUs);
  });

  it("is empty until something is recorded, and refuses what is not a delay", () => {
    const h = createSignedHistogram();
    expect(h.percentileUs(50)).toBeNaN();
    expect(h.minUs).toBeNaN();
    expect(() => h.record(Number.NaN)).toThrow(/finite/);
    expect(() => h.percentileUs(101)).toThrow(/0\.\.100/);
  });
});
