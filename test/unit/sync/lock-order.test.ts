import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { inheritedPriorityMs, isOlder, lockDecision } from "../../../src/sync/lock-order.js";
import { nextTimestamp } from "../../../src/sync/hybrid-clock.js";

describe("lock order (wound-wait)", () => {
  it("a first attempt never waits; a retry waits for older retries and wounds younger ones and first attempts", () => {
    expect(lockDecision({ txId: "a", priority: null }, new Map([["b", 5]]))).toEqual({ kind: "die" });
    expect(lockDecision({ txId: "a", priority: 10 }, new Map<string, number | null>([["b", 20], ["c", null], ["d", 5]]))).toEqual({
      kind: "wait",
      wound: ["b", "c"],
      patient: ["d"],
    });
    // Equal priorities are ordered by id.
    expect(lockDecision({ txId: "b", priority: 10 }, new Map([["a", 10]]))).toEqual({ kind: "wait", wound: [], patient: ["a"] });
    expect(lockDecision({ txId: "a", priority: 10 }, new Map([["b", 10]]))).toEqual({ kind: "wait", wound: ["b"], patient: [] });
  });

  it("patient waits never form a cycle, and the oldest retry waits for nobody (property)", () => {
    const tx = fc.record({ priority: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(tx, { minLength: 2, maxLength: 8 }), (txs) => {
        const ids = txs.map((_, i) => `t${i}`);
        const edges = new Map<string, string[]>();
        for (const [i, r] of txs.entries()) {
          for (const [j, h] of txs.entries()) {
            if (i === j) continue;
            const d = lockDecision({ txId: ids[i]!, priority: r.priority }, new Map([[ids[j]!, h.priority]]));
            if (d.kind === "wait" && d.patient.length > 0) edges.set(ids[i]!, [...(edges.get(ids[i]!) ?? []), ids[j]!]);
          }
        }
        const state = new Map<string, number>();
        const acyclicFrom = (n: string): boolean => {
          if (state.get(n) === 1) return false;
          if (state.get(n) === 2) return true;
          state.set(n, 1);
          const ok = (edges.get(n) ?? []).every(acyclicFrom);
          state.set(n, 2);
          return ok;
        };
        expect(ids.every(acyclicFrom)).toBe(true);
        const retries = ids.filter((_, i) => txs[i]!.priority !== null);
        const oldest = retries.find((id) => retries.every((o) => o === id || isOlder({ txId: id, priority: txs[ids.indexOf(id)]!.priority! }, { txId: o, priority: txs[ids.indexOf(o)]!.priority! })));
        if (oldest !== undefined) expect(edges.get(oldest) ?? []).toEqual([]);
      }),
    );
  });
});

describe("hybrid clock", () => {
  it("follows the wall clock, never repeats, and lands above every snapshot served", () => {
    expect(nextTimestamp({ lastTs: 0, maxReadTs: 0 }, 5)).toBe(5000);
    expect(nextTimestamp({ lastTs: 5000, maxReadTs: 0 }, 5)).toBe(5001);
    expect(nextTimestamp({ lastTs: 5000, maxReadTs: 9000 }, 5)).toBe(9001);
    fc.assert(
      fc.property(fc.nat(1e12), fc.nat(1e15), fc.nat(1e15), (nowMs, lastTs, maxReadTs) => {
        const ts = nextTimestamp({ lastTs, maxReadTs }, nowMs);
        expect(ts).toBeGreaterThan(lastTs);
        expect(ts).toBeGreaterThan(maxReadTs);
        expect(ts).toBeGreaterThanOrEqual(nowMs * 1000);
      }),
    );
  });
});

describe("a retry's inherited priority", () => {
  it("is the first attempt's, but never more than the age bound older than the retry's begin (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 1, max: 1e6 }), (previous, now, ageMax) => {
        const p = inheritedPriorityMs(previous, now, ageMax);
        // Never younger than a fresh transaction begun now, nor than the attempt it retries (while that is within the bound).
        expect(p).toBeLessThanOrEqual(now);
        if (previous >= now - ageMax) expect(p).toBe(Math.min(previous, now));
        // A chain kept alive on purpose: never older than the bound allows.
        expect(p).toBeGreaterThanOrEqual(now - ageMax);
      }),
    );
    // A chain begun at 0, re-begun every 500 ms: at 40 s its priority is 10 s, so a newcomer of 9 s wins over it.
    let priority = 0;
    for (let now = 500; now <= 40_000; now += 500) priority = inheritedPriorityMs(priority, now, 30_000);
    expect(priority).toBe(10_000);
    expect(isOlder({ txId: "newcomer", priority: 9_000 }, { txId: "chain", priority })).toBe(true);
  });
});

