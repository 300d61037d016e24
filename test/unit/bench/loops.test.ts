import { describe, expect, it } from "vitest";
import { closedLoop, openLoop, type Operation } from "../../../bench/lib/loops.js";

/** A one-at-a-time server whose first request stalls for `stallMs`; the rest answer at once. */
function stallingServer(stallMs: number): () => Operation {
  let queue: Promise<void> = Promise.resolve();
  let first = true;
  return () => () => {
    const delay = first ? stallMs : 0;
    first = false;
    queue = queue.then(() => new Promise((resolve) => setTimeout(resolve, delay)));
    return queue;
  };
}

describe("benchmark loops", () => {
  it("the open loop charges a stall to every request it delayed; the closed loop hides it (coordinated omission)", async () => {
    const closed = await closedLoop(stallingServer(300), { concurrency: 1, warmupMs: 0, measureMs: 600 });
    const open = await openLoop(stallingServer(300), { ratePerSecond: 100, warmupMs: 0, measureMs: 600 });
    // Closed loop: one slow request among many fast ones.
    expect(closed.histogram.getValueAtPercentile(75)).toBeLessThan(20_000);
    // Open loop: the ~30 requests (of ~60) due during the stall all waited
    // for its end, from 0 to 300 ms each.
    expect(open.histogram.getValueAtPercentile(75)).toBeGreaterThan(75_000);
    expect(open.ops).toBeGreaterThan(40);
    expect(open.errors).toBe(0);
  });

  it("the open loop offers the requested rate", async () => {
    const result = await openLoop(() => async () => {}, { ratePerSecond: 200, warmupMs: 0, measureMs: 500 });
    expect(result.ops).toBeGreaterThanOrEqual(95);
    expect(result.ops).toBeLessThanOrEqual(101);
  });

  it("errors are counted, not recorded as latencies", async () => {
    let n = 0;
    const result = await closedLoop(() => async () => {
      if (n++ % 2 === 0) throw new Error("boom");
    }, { concurrency: 2, warmupMs: 0, measureMs: 100 });
    expect(result.errors).toBeGreaterThan(0);
    expect(result.firstError).toContain("boom");
    expect(result.histogram.totalCount).toBe(result.ops);
  });
});
