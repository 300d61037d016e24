import { describe, expect, it } from "vitest";
import { AdminService } from "../../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService } from "../../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../../gen/impossibledb/v1/transaction_service_pb.js";
import { LATENCY_BUCKET_COUNT, LATENCY_BUCKET_FIRST_MS, METRICS_METHODS_MAX } from "../../../src/limits.js";
import { bucketOf, bucketUpperMs, createMetrics, OTHER_METHODS } from "../../../src/server/metrics.js";

describe("metrics", () => {
  it("counts calls by method and code", () => {
    const m = createMetrics({ nowMs: () => 0 });
    m.record("a/X", "ok", 3);
    m.record("a/X", "ok", 5);
    m.record("a/X", "not_found", 1);
    m.record("a/Y", "invalid_argument", 0);
    expect(m.snapshot().map((s) => [s.method, s.count, s.countByCode])).toEqual([
      ["a/X", 3, { ok: 2, not_found: 1 }],
      ["a/Y", 1, { invalid_argument: 1 }],
    ]);
  });

  it("keeps each database's calls apart, `default` when none is named", () => {
    const m = createMetrics({ nowMs: () => 0 });
    m.record("a/X", "ok", 1);
    m.record("a/X", "ok", 1, "orders");
    m.record("a/X", "not_found", 1, "orders");
    m.record("a/X", "ok", 1, "billing");
    expect(m.snapshot().map((s) => [s.method, s.database, s.count])).toEqual([
      ["a/X", "billing", 1],
      ["a/X", "default", 1],
      ["a/X", "orders", 2],
    ]);
  });

  it("reports p50 and p99 as bucket upper bounds, never above the max", () => {
    const m = createMetrics({ nowMs: () => 0 });
    for (let i = 0; i < 98; i++) m.record("a/X", "ok", 3); // bucket (2, 4]
    m.record("a/X", "ok", 100); // bucket (64, 128]
    m.record("a/X", "ok", 700); // bucket (512, 1024]
    const [s] = m.snapshot();
    expect(s!.p50Ms).toBe(4);
    expect(s!.p99Ms).toBe(128);
    expect(s!.maxMs).toBe(700);
    const one = createMetrics({ nowMs: () => 0 });
    one.record("a/X", "ok", 3);
    expect(one.snapshot()[0]!.p99Ms).toBe(3);
  });

  it("puts latencies past the last bound into the open-ended bucket", () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(LATENCY_BUCKET_FIRST_MS)).toBe(0);
    expect(bucketOf(LATENCY_BUCKET_FIRST_MS * 1.5)).toBe(1);
    expect(bucketOf(1e12)).toBe(LATENCY_BUCKET_COUNT - 1);
    expect(bucketUpperMs(LATENCY_BUCKET_COUNT - 1)).toBe(Infinity);
    const m = createMetrics({ nowMs: () => 0 });
    m.record("a/X", "ok", 1e12);
    expect(m.snapshot()[0]!.p50Ms).toBe(1e12);
  });

  it("keeps at most methodsMax entries, the last one counting every other method", () => {
    const m = createMetrics({ nowMs: () => 0, methodsMax: 3 });
    for (const name of ["a/1", "a/2", "a/3", "a/4", "a/1"]) m.record(name, "ok", 1);
    expect(m.snapshot().map((s) => [s.method, s.count])).toEqual([
      [OTHER_METHODS, 2],
      ["a/1", 2],
      ["a/2", 1],
    ]);
  });

  it("starts its clock at the first call, not when created", () => {
    let now = 0;
    const m = createMetrics({ nowMs: () => now });
    now = 5_000;
    m.record("a/X", "ok", 1);
    now = 9_000;
    expect(m.startTimeMs).toBe(5_000);
  });

  it("METRICS_METHODS_MAX keeps every method of the contract apart", () => {
    const methods = [AdminService, CollectionService, QueryService, TransactionService].reduce((n, s) => n + s.methods.length, 0);
    expect(methods + 1).toBeLessThanOrEqual(METRICS_METHODS_MAX);
  });
});
