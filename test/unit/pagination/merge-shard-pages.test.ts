/**
 * Merging shards' list pages: a shard whose reply stopped at its byte
 * budget has more ids than it sent, so the merged page must not pass its
 * last id, or the walk would skip the ids it did not send.
 */
import { describe, expect, it } from "vitest";
import { mergeShardPages } from "../../../src/pagination/merge-shard-pages.js";
import type { StoredDocument } from "../../../src/storage/types.js";

const doc = (id: string): StoredDocument => ({ collection: "c", id, data: {}, version: 1, createTimeMs: 0, updateTimeMs: 0 });
const page = (ids: string[], hasMore: boolean) => ({ documents: ids.map(doc), hasMore });

describe("mergeShardPages", () => {
  it("stops at the smallest last id of a shard that has more", () => {
    // Shard A sent only "b" (its reply was full) but also holds "d"; shard B sent everything.
    const merged = mergeShardPages([page(["b"], true), page(["a", "c", "e"], false)], 1000);
    expect(merged.documents.map((d) => d.id)).toEqual(["a", "b"]);
    expect(merged.more).toBe(true);
  });

  it("keeps the page size when no shard stopped early", () => {
    const merged = mergeShardPages([page(["a", "c"], false), page(["b", "d"], false)], 3);
    expect(merged.documents.map((d) => d.id)).toEqual(["a", "b", "c"]);
    expect(merged.more).toBe(true);
    expect(mergeShardPages([page(["a"], false), page(["b"], false)], 3)).toMatchObject({ more: false });
  });

  it("a walk over pages that stop early returns every id once, in order", () => {
    const shards = [["a", "d", "g", "j"], ["b", "e", "h"], ["c", "f", "i", "k"]];
    const seen: string[] = [];
    let after = "";
    for (let round = 0; round < 20; round++) {
      // Each shard sends at most two ids after the cursor, as if its reply filled up.
      const pages = shards.map((ids) => {
        const rest = ids.filter((id) => id > after);
        return page(rest.slice(0, 2), rest.length > 2);
      });
      const merged = mergeShardPages(pages, 1000);
      seen.push(...merged.documents.map((d) => d.id));
      if (!merged.more) break;
      after = merged.documents[merged.documents.length - 1]!.id;
    }
    expect(seen).toEqual(["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]);
  });
});
