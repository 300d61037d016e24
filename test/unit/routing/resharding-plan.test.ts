import { describe, expect, it } from "vitest";
import { cancellable, planResharding, resolveThrottle, shardsToStamp, throttleOf } from "../../../src/routing/resharding-plan.js";
import { adviseShardCount } from "../../../src/routing/split-advice.js";
import { createInitialRoutingTable, createShardRouter } from "../../../src/routing/router.js";

describe("planResharding", () => {
  const table = createInitialRoutingTable(8, 64);

  it("grows: every old shard is a source, the new shards are direct targets", () => {
    const planned = planResharding(table, 12, "op", 1000);
    if (!planned.ok) throw new Error(planned.message);
    const op = planned.operation;
    expect(op.target).toEqual({ version: 2, shards: Array.from({ length: 12 }, (_, i) => `shard-${i}`), virtualNodesPerShard: 64 });
    expect(op.sources.map((s) => s.shard)).toEqual(table.shards);
    expect(op.targets.map((t) => [t.shard, t.direct])).toEqual([8, 9, 10, 11].map((i) => [`shard-${i}`, true]));
    expect(shardsToStamp(op)).toHaveLength(12);
    expect(cancellable(op)).toBe(true);
  });

  it("shrinks onto new shards: every old shard is a source, the targets are new, direct shards", () => {
    const planned = planResharding(table, 5, "op", 1000);
    if (!planned.ok) throw new Error(planned.message);
    const op = planned.operation;
    expect(op.sources.map((s) => s.shard)).toEqual(table.shards);
    expect(op.targets.map((t) => [t.shard, t.direct])).toEqual([8, 9, 10, 11, 12].map((i) => [`shard-${i}`, true]));
    expect(op.target.shards).toEqual([8, 9, 10, 11, 12].map((i) => `shard-${i}`));
    // Every document moves: no old shard keeps any key.
    const after = createShardRouter(op.target);
    for (let i = 0; i < 2000; i++) expect(table.shards).not.toContain(after.shardFor("c", `k${i}`));
  });

  it("never names a shard twice: new shards come after every id a table or an earlier resharding used", () => {
    // A cancelled grow 8 -> 12 named shard-8..shard-11; the next grow to 10 must not take them again.
    const cancelled = planResharding(table, 12, "a", 0);
    if (!cancelled.ok) throw new Error(cancelled.message);
    const used = [...cancelled.operation.source.shards, ...cancelled.operation.target.shards];
    const again = planResharding(table, 10, "b", 0, cancelled.operation.target.version, used);
    if (!again.ok) throw new Error(again.message);
    expect(again.operation.target.shards).toEqual([...table.shards, "shard-12", "shard-13"]);
    expect(again.operation.target.version).toBe(cancelled.operation.target.version + 1);
    // After a shrink onto shard-12..shard-14, a grow to 5 adds shard-15 and shard-16.
    const shrunk = { version: 9, shards: ["shard-12", "shard-13", "shard-14"], virtualNodesPerShard: 64 };
    const grown = planResharding(shrunk, 5, "c", 0, 9, [...used, "shard-12", "shard-13", "shard-14"]);
    if (!grown.ok) throw new Error(grown.message);
    expect(grown.operation.target.shards).toEqual(["shard-12", "shard-13", "shard-14", "shard-15", "shard-16"]);
    expect(grown.operation.sources.map((s) => s.shard)).toEqual(shrunk.shards);
    expect(grown.operation.targets.map((t) => t.shard)).toEqual(["shard-15", "shard-16"]);
  });

  it("every key that changes owner moves from a source to a target (the plan's premise, from the ring)", () => {
    for (const to of [5, 9, 12, 3, 1]) {
      const planned = planResharding(table, to, "op", 0);
      if (!planned.ok) throw new Error(planned.message);
      const before = createShardRouter(table);
      const after = createShardRouter(planned.operation.target);
      const sources = new Set(planned.operation.sources.map((s) => s.shard));
      const targets = new Set(planned.operation.targets.map((t) => t.shard));
      let moved = 0;
      for (let i = 0; i < 5000; i++) {
        const from = before.shardFor("c", `k${i}`);
        const dest = after.shardFor("c", `k${i}`);
        if (from === dest) continue;
        moved++;
        expect(sources.has(from), `k${i} leaves ${from}`).toBe(true);
        expect(targets.has(dest), `k${i} goes to ${dest}`).toBe(true);
      }
      expect(moved).toBeGreaterThan(0);
    }
  });

  it("refuses the same count and counts out of range", () => {
    expect(planResharding(table, 8, "op", 0)).toMatchObject({ ok: false, kind: "failed_precondition" });
    expect(planResharding(table, 0, "op", 0)).toMatchObject({ ok: false, kind: "invalid_argument" });
    expect(planResharding(table, 1025, "op", 0)).toMatchObject({ ok: false, kind: "invalid_argument" });
    expect(planResharding(table, 2.5, "op", 0)).toMatchObject({ ok: false, kind: "invalid_argument" });
  });
});

describe("resolveThrottle", () => {
  it("fills in the defaults and keeps what was asked within bounds", () => {
    expect(resolveThrottle(undefined)).toEqual({ ok: true, throttle: { sourcesAtOnce: 2, restRatio: 1 } });
    expect(resolveThrottle({ sourcesAtOnce: 0 })).toEqual({ ok: true, throttle: { sourcesAtOnce: 2, restRatio: 1 } });
    expect(resolveThrottle({ sourcesAtOnce: 8, restRatio: 0 })).toEqual({ ok: true, throttle: { sourcesAtOnce: 8, restRatio: 0 } });
    expect(resolveThrottle({ sourcesAtOnce: 1, restRatio: 20 })).toEqual({ ok: true, throttle: { sourcesAtOnce: 1, restRatio: 20 } });
  });

  it("refuses what is out of bounds with INVALID_ARGUMENT naming the field", () => {
    for (const sourcesAtOnce of [-1, 9, 1.5]) expect(resolveThrottle({ sourcesAtOnce })).toMatchObject({ ok: false, kind: "invalid_argument", message: expect.stringMatching(/sources_at_once/) });
    for (const restRatio of [-0.1, 20.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(resolveThrottle({ restRatio })).toMatchObject({ ok: false, kind: "invalid_argument", message: expect.stringMatching(/rest_ratio/) });
  });

  it("an operation planned with a throttle keeps it; one saved before throttles existed has the defaults", () => {
    const planned = planResharding(createInitialRoutingTable(4, 16), 6, "op", 0, 0, [], { sourcesAtOnce: 1, restRatio: 3 });
    if (!planned.ok) throw new Error(planned.message);
    expect(throttleOf(planned.operation)).toEqual({ sourcesAtOnce: 1, restRatio: 3 });
    const { throttle: _dropped, ...older } = planned.operation;
    expect(throttleOf(older)).toEqual({ sourcesAtOnce: 2, restRatio: 1 });
  });
});

describe("adviseShardCount", () => {
  const thresholds = { shardBytesMax: 1000, requestsPerSecondMax: 100 };
  const shards = (bytes: number[], rates: number[]) => bytes.map((b, i) => ({ id: `shard-${i}`, dataBytes: b, requestsPerSecond: rates[i]! }));

  it("keeps the count when no shard is past a threshold", () => {
    expect(adviseShardCount(shards([10, 999], [1, 100]), thresholds)).toEqual({ suggestedShardCount: 2, currentShardCount: 2, reason: "no shard is past a split threshold" });
  });

  it("suggests enough shards to bring the load under the thresholds, naming the shard", () => {
    const bySize = adviseShardCount(shards([3000, 1500, 900, 100], [0, 0, 0, 0]), thresholds);
    expect(bySize.suggestedShardCount).toBe(7);
    expect(bySize.reason).toMatch(/shard-0 holds 3000 bytes/);
    const byRate = adviseShardCount(shards([0, 0], [250, 10]), thresholds);
    expect(byRate.suggestedShardCount).toBe(4);
    expect(byRate.reason).toMatch(/shard-0 serves 250.0 requests\/s/);
  });
});
