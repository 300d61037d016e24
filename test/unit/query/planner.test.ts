import { describe, expect, it } from "vitest";
import { pinnedIds, selectShards } from "../../../src/query/planner.js";
import { parseQueryFilter } from "../../../src/query/parser.js";

const ids = (filter: string) => {
  const pinned = pinnedIds(parseQueryFilter(undefined, filter));
  return pinned === null ? null : [...pinned].sort();
};

describe("shard pruning", () => {
  it("pins ids through AND and OR, and only there", () => {
    expect(ids('__id__ = "a"')).toEqual(["a"]);
    expect(ids('__id__ = "a" AND x = 1')).toEqual(["a"]);
    expect(ids('__id__ = "a" OR __id__ = "b"')).toEqual(["a", "b"]);
    expect(ids('__id__ = "a" OR x = 1')).toBeNull();
    expect(ids('__id__ = "a" AND __id__ = "b"')).toEqual([]);
    expect(ids('NOT __id__ = "a"')).toBeNull();
    expect(ids('__id__ > "a"')).toBeNull();
    expect(ids("__id__ = 3")).toEqual([]);
    expect(ids("x = 1")).toBeNull();
  });

  it("queries only the owners of pinned ids", () => {
    const routing = { shards: ["s0", "s1", "s2"], shardFor: (_c: string, id: string) => (id === "a" ? "s2" : "s0") };
    expect(selectShards(routing, "c", parseQueryFilter(undefined, '__id__ = "a"'))).toEqual({ queried: ["s2"], pruned: ["s0", "s1"] });
    expect(selectShards(routing, "c", parseQueryFilter(undefined, "x = 1"))).toEqual({ queried: ["s0", "s1", "s2"], pruned: [] });
    expect(selectShards(routing, "c", parseQueryFilter(undefined, '__id__ = "a" AND __id__ = "b"'))).toEqual({ queried: [], pruned: ["s0", "s1", "s2"] });
  });
});

describe("sort clauses", () => {
  it("leave out the rank of a key the filter pins, and only then", async () => {
    const { orderToSql, rankPinnedPaths } = await import("../../../src/query/sql-order.js");
    const order = [{ path: ["total"], descending: true }];
    const pinned = rankPinnedPaths({ kind: "and", children: [{ kind: "compare", path: ["total"], op: ">=", value: 10 }] });
    expect(orderToSql(order, null, pinned).orderBy).toBe("v0 DESC, id DESC");
    const notPinned = rankPinnedPaths({ kind: "compare", path: ["total"], op: "!=", value: 10 });
    expect(orderToSql(order, null, notPinned).orderBy).toBe("r0 DESC, v0 DESC, id DESC");
    expect(orderToSql(order, null, rankPinnedPaths({ kind: "or", children: [] })).orderBy).toBe("r0 DESC, v0 DESC, id DESC");
  });
});
