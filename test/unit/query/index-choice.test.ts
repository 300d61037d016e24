import { describe, expect, it } from "vitest";
import { chooseIndex } from "../../../src/query/index-choice.js";
import { indexIdOf, type IndexSpec } from "../../../src/query/indexes.js";
import type { OrderKey } from "../../../src/query/order.js";
import { parseQueryFilter } from "../../../src/query/parser.js";
import { filterToSql } from "../../../src/query/sql-filter.js";

const budget = { paramsMax: 100, bytesMax: 40_000, depthMax: 97 };

function index(...fields: Array<string | [string, "desc"]>): IndexSpec {
  const specs = fields.map((f) => (typeof f === "string" ? { path: [f], descending: false } : { path: [f[0]], descending: true }));
  return { collection: "c", id: indexIdOf("c", specs), fields: specs };
}

/** The fields of the index chosen for `filter` (AIP-160 text) and `order`, or null. */
function chosen(indexes: IndexSpec[], filter: string, order: OrderKey[] = []): string[] | null {
  const conjuncts = filterToSql(parseQueryFilter(undefined, filter), budget).exactConjuncts;
  return chooseIndex(indexes, conjuncts, order)?.fields.map((f) => f.path.join(".")) ?? null;
}

const asc = (f: string): OrderKey => ({ path: [f], descending: false });
const desc = (f: string): OrderKey => ({ path: [f], descending: true });

describe("the index a shard names for a query", () => {
  it("is one whose first field an equality or IN pins", () => {
    const indexes = [index("u"), index("status", "lastName")];
    expect(chosen(indexes, "u = 1")).toEqual(["u"]);
    expect(chosen(indexes, 'u = "1"')).toEqual(["u"]);
    expect(chosen(indexes, "(u = 1 OR u = 2)")).toEqual(["u"]);
    expect(chosen(indexes, "u = null")).toEqual(["u"]);
    expect(chosen(indexes, 'status = "active"')).toEqual(["status", "lastName"]);
    expect(chosen(indexes, 'status = "active" AND lastName > "m"')).toEqual(["status", "lastName"]);
  });

  it("is left to SQLite when nothing pins a first field, the id is pinned, or the IN mixes types", () => {
    const indexes = [index("u"), index("status", "lastName")];
    expect(chosen(indexes, "")).toBeNull();
    expect(chosen(indexes, "u > 1")).toBeNull(); // a range alone: SQLite already picks the index
    expect(chosen(indexes, 'lastName = "x"')).toBeNull(); // not the index's first field
    expect(chosen(indexes, "u != 1 AND NOT u = 2")).toBeNull();
    expect(chosen(indexes, "u = 1 OR status = 2")).toBeNull(); // an OR of fields seeks no one index
    expect(chosen(indexes, '(u = 1 OR u = "1")')).toBeNull(); // two types: an OR of per-type tests
    expect(chosen(indexes, '__id__ = "k1" AND u = 1')).toBeNull(); // the primary key finds the row
    expect(chosen([], "u = 1")).toBeNull();
  });

  it("prefers more pinned fields, then a range on the next, then the order, then fewer fields", () => {
    const a = index("a");
    const ab = index("a", "b");
    const ac = index("a", "c");
    expect(chosen([a, ab], "a = 1 AND b = 2")).toEqual(["a", "b"]);
    expect(chosen([ac, ab], "a = 1 AND b > 2")).toEqual(["a", "b"]);
    expect(chosen([ab, ac], "a = 1", [asc("c")])).toEqual(["a", "c"]);
    // Walked backwards, (a, c) gives c descending and the id descending with it.
    expect(chosen([ab, ac], "a = 1", [desc("c")])).toEqual(["a", "c"]);
    // The id order itself: (a) gives it under a = 1, (a, b) does not.
    expect(chosen([ab, a], "a = 1")).toEqual(["a"]);
    expect(chosen([ab, a], "a = 1", [asc("a")])).toEqual(["a"]);
    // An IN gives the pinned field's order, not the id's within it: no order bonus, fewer fields win.
    expect(chosen([ab, a], "(a = 1 OR a = 2)")).toEqual(["a"]);
    // Index entries end with the id ascending, so (a, c DESC) gives c descending only with the id
    // ascending, which no query asks for; (a, c) walked backwards gives c and the id descending.
    for (const indexes of [[index("a", ["c", "desc"]), ac], [ac, index("a", ["c", "desc"])]]) {
      expect(chosen(indexes, "a = 1", [desc("c")])).toEqual(["a", "c"]);
    }
  });

  it("chooses alike whatever order the catalog lists the indexes in", () => {
    const indexes = [index("a", "b"), index("a", "c"), index("a", "d")];
    const one = chosen(indexes, "a = 1");
    expect(chosen([...indexes].reverse(), "a = 1")).toEqual(one);
  });
});
