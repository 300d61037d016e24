/** The shard's document cache (storage/document-cache.ts): hits, LRU order, bounds, invalidation. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DocumentCache } from "../../../src/storage/document-cache.js";
import type { StoredDocument } from "../../../src/storage/types.js";

const doc = (collection: string, id: string, n = 0): StoredDocument => ({ collection, id, data: { n }, version: 1, createTimeMs: 0, updateTimeMs: 0 });

describe("DocumentCache", () => {
  it("serves what was filled, counts hits and misses, and never caches a miss", () => {
    const cache = new DocumentCache(10, 1000);
    expect(cache.get("c", "a")).toBeUndefined();
    cache.fill(doc("c", "a", 1), 10);
    expect(cache.get("c", "a")?.document.data).toEqual({ n: 1 });
    expect(cache.stats()).toEqual({ entries: 1, bytes: 10, hits: 1, misses: 1 });
  });

  it("answers has() without counting it or making the document more recently used", () => {
    const cache = new DocumentCache(2, 100);
    cache.fill(doc("c", "a"), 10);
    cache.fill(doc("c", "b"), 10);
    expect([cache.has("c", "a"), cache.has("c", "zz")]).toEqual([true, false]);
    expect(cache.stats()).toMatchObject({ hits: 0, misses: 0 });
    // a was asked about but not read, so it is still the least recently used.
    cache.fill(doc("c", "c"), 10);
    expect([cache.has("c", "a"), cache.has("c", "b"), cache.has("c", "c")]).toEqual([false, true, true]);
  });

  it("drops the least recently used first, by entries and by bytes", () => {
    const cache = new DocumentCache(2, 100);
    cache.fill(doc("c", "a"), 10);
    cache.fill(doc("c", "b"), 10);
    cache.get("c", "a"); // a is now the most recently used
    cache.fill(doc("c", "c"), 10);
    expect([cache.get("c", "a"), cache.get("c", "b"), cache.get("c", "c")].map((e) => e?.document.id)).toEqual(["a", undefined, "c"]);
    cache.fill(doc("c", "big"), 95);
    expect(cache.stats()).toMatchObject({ entries: 1, bytes: 95 });
    cache.fill(doc("c", "huge"), 101);
    expect(cache.get("c", "huge")).toBeUndefined();
    expect(cache.get("c", "big")).toBeDefined();
  });

  it("drops a document, a collection (not its prefix-sharing neighbours) or everything", () => {
    const cache = new DocumentCache(10, 1000);
    for (const [c, id] of [["users", "a"], ["users", "b"], ["users2", "a"], ["u", "sers"]] as const) cache.fill(doc(c, id), 5);
    cache.invalidate("users", "a");
    expect(cache.get("users", "a")).toBeUndefined();
    cache.invalidateCollection("users");
    expect([cache.get("users", "b"), cache.get("users2", "a"), cache.get("u", "sers")].map((e) => e?.document.collection)).toEqual([undefined, "users2", "u"]);
    cache.clear();
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  it("stays within its bounds and agrees with a model map under any sequence of operations (property)", () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("fill" as const), id: fc.integer({ min: 0, max: 9 }), bytes: fc.integer({ min: 0, max: 60 }), n: fc.integer() }),
      fc.record({ kind: fc.constant("invalidate" as const), id: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant("get" as const), id: fc.integer({ min: 0, max: 9 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const cache = new DocumentCache(4, 100);
        const truth = new Map<number, number>();
        for (const o of ops) {
          if (o.kind === "fill") {
            cache.fill(doc("c", String(o.id), o.n), o.bytes);
            truth.set(o.id, o.n);
          } else if (o.kind === "invalidate") {
            cache.invalidate("c", String(o.id));
            truth.delete(o.id);
          } else {
            // A hit is always the latest value filled and not invalidated since.
            const hit = cache.get("c", String(o.id));
            if (hit !== undefined) expect(hit.document.data.n).toBe(truth.get(o.id));
          }
          const { entries, bytes } = cache.stats();
          expect(entries).toBeLessThanOrEqual(4);
          expect(bytes).toBeLessThanOrEqual(100);
        }
      }),
    );
  });
});
