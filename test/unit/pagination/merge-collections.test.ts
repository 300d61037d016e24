import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { mergeCollectionPages } from "../../../src/pagination/merge-collections.js";
import type { ShardCollectionsPage } from "../../../src/storage/types.js";

/** What each shard would answer for names after `after`, `limit` at most. */
function shardPage(names: Map<string, number>, after: string | null, limit: number): ShardCollectionsPage {
  const sorted = [...names.keys()].sort().filter((n) => after === null || n > after);
  return { collections: sorted.slice(0, limit).map((name) => ({ name, documentCount: names.get(name)! })), hasMore: sorted.length > limit };
}

describe("merging shards' collection pages", () => {
  it("a walk sees every collection once with its total count, whatever the page size", () => {
    const shardArb = fc.dictionary(fc.stringMatching(/^[a-e]{1,3}$/), fc.integer({ min: 1, max: 9 }), { maxKeys: 12 });
    fc.assert(
      fc.property(fc.array(shardArb, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 5 }), (shards, pageSize) => {
        const maps = shards.map((s) => new Map(Object.entries(s)));
        const expected = new Map<string, number>();
        for (const m of maps) for (const [k, v] of m) expected.set(k, (expected.get(k) ?? 0) + v);
        const seen = new Map<string, number>();
        let after: string | null = null;
        for (let pages = 0; pages < 100; pages++) {
          const merged = mergeCollectionPages(maps.map((m) => shardPage(m, after, pageSize)), pageSize);
          expect(merged.collections.length).toBeLessThanOrEqual(pageSize);
          for (const c of merged.collections) {
            expect(seen.has(c.name)).toBe(false);
            seen.set(c.name, c.documentCount);
          }
          if (!merged.more) break;
          after = merged.collections.at(-1)!.name;
        }
        expect(new Map([...seen].sort())).toEqual(new Map([...expected].sort()));
      }),
    );
  });
});
