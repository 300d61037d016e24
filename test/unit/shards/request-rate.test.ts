import { describe, expect, it } from "vitest";
import { REQUEST_RATE_WINDOW_SECONDS, RequestRate } from "../../../src/shards/request-rate.js";

const START_MS = 1_700_000_000_000;

function recordEvery(rate: RequestRate, fromMs: number, toMs: number, stepMs: number): void {
  for (let t = fromMs; t < toMs; t += stepMs) rate.record(t);
}

describe("RequestRate", () => {
  it("is zero with no calls", () => {
    expect(new RequestRate(START_MS).perSecond(START_MS + 5000)).toBe(0);
  });

  it("averages over the time since the start while that is shorter than the window", () => {
    const rate = new RequestRate(START_MS);
    recordEvery(rate, START_MS, START_MS + 10_000, 100); // 10 calls a second for 10 s
    expect(rate.perSecond(START_MS + 10_000)).toBeCloseTo(10, 0);
  });

  it("does not report a burst right after the start as a rate above the calls made", () => {
    const rate = new RequestRate(START_MS);
    for (let i = 0; i < 5; i += 1) rate.record(START_MS + 10);
    expect(rate.perSecond(START_MS + 20)).toBe(5);
  });

  it("forgets calls older than the window", () => {
    const rate = new RequestRate(START_MS);
    recordEvery(rate, START_MS, START_MS + 30_000, 50); // 20 a second for 30 s
    const later = START_MS + 30_000 + (REQUEST_RATE_WINDOW_SECONDS + 1) * 1000;
    expect(rate.perSecond(later)).toBe(0);
    rate.record(later);
    expect(rate.perSecond(later)).toBeCloseTo(1 / REQUEST_RATE_WINDOW_SECONDS, 5);
  });

  it("follows a change of rate within one window", () => {
    const rate = new RequestRate(START_MS);
    const steady = START_MS + REQUEST_RATE_WINDOW_SECONDS * 1000;
    recordEvery(rate, START_MS, steady, 1000); // 1 a second for a full window
    expect(rate.perSecond(steady)).toBeCloseTo(1, 1);
    recordEvery(rate, steady, steady + REQUEST_RATE_WINDOW_SECONDS * 1000, 100); // then 10 a second
    expect(rate.perSecond(steady + REQUEST_RATE_WINDOW_SECONDS * 1000)).toBeCloseTo(10, 0);
  });
});
