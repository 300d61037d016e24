/** The isolate's decoded changes: one decode per key, bounded by bytes, oldest evicted first. */
import { describe, expect, it } from "vitest";
import { DecodedChanges } from "../../../src/watch/decoded-changes.js";
import type { FeedChange } from "../../../src/watch/change-merger.js";

const change = (seq: number) => ({ seq }) as unknown as FeedChange;

describe("DecodedChanges", () => {
  it("decodes a key once and returns the same change to every caller", () => {
    const cache = new DecodedChanges(10_000);
    let decodes = 0;
    const a = cache.get("k", 10, () => (decodes++, change(1)));
    const b = cache.get("k", 10, () => (decodes++, change(2)));
    expect(a).toBe(b);
    expect(decodes).toBe(1);
  });

  it("stays within its byte bound, evicting the oldest, and does not keep an entry larger than the bound", () => {
    const cache = new DecodedChanges(1_000);
    for (let i = 0; i < 10; i++) cache.get(`k${i}`, 100, () => change(i));
    expect(cache.sizeBytes).toBeLessThanOrEqual(1_000);
    let decodes = 0;
    cache.get("k0", 100, () => (decodes++, change(0)));
    expect(decodes).toBe(1); // k0 was evicted
    cache.get("k9", 100, () => (decodes++, change(9)));
    expect(decodes).toBe(1); // k9, the newest, was kept
    cache.get("huge", 5_000, () => change(99));
    expect(cache.sizeBytes).toBeLessThanOrEqual(1_000);
  });
});
