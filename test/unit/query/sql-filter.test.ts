import { describe, expect, it } from "vitest";
import { numberKey } from "../../../src/query/number-key.js";
import { filterToSql } from "../../../src/query/sql-filter.js";
import { sqlJsonPathLiteral } from "../../../src/query/sql-path.js";
import { parseQueryFilter } from "../../../src/query/parser.js";

const budget = { paramsMax: 100, bytesMax: 40_000, depthMax: 97 };
const sql = (filter: string, b = budget) => filterToSql(parseQueryFilter(undefined, filter), b);

describe("filters in SQL", () => {
  it("spells only safe paths, and binds every value", () => {
    expect(sqlJsonPathLiteral(["a", "b_1"])).toBe("'$.a.b_1'");
    expect(sqlJsonPathLiteral(["first name", "名前", "$", ".."])).toBe(`'$."first name"."名前"."$".".."'`);
    for (const bad of ["it's", 'say "hi"', "back\\slash"]) expect(sqlJsonPathLiteral([bad])).toBeNull();
    const c = sql(`name = "x' OR 1=1 --"`);
    expect(c.sql).not.toContain("OR 1=1");
    expect(c.params).toEqual(["x' OR 1=1 --"]);
    expect(c.exact).toBe(true);
  });

  it("is exact for scalars and falls back to a checked superset otherwise", () => {
    expect(sql("a > 1 AND NOT b:* OR c != null").exact).toBe(true);
    const quoted = sql("`it's` = 1");
    expect(quoted).toEqual({ sql: "1", params: [], exact: false, exactConjuncts: [] });
    // A superset cannot be negated: NOT over it widens to true.
    expect(sql("NOT `it's` = 1")).toEqual({ sql: "1", params: [], exact: false, exactConjuncts: [] });
    // Past the parameter budget, parts are checked in JavaScript instead.
    const tight = sql("a = 1 AND b = 2 AND c = 3", { paramsMax: 2, bytesMax: 40_000, depthMax: 97 });
    // Numbers are bound as their order-preserving keys, never as doubles SQLite would compare with its own reading of the text.
    expect(tight.params).toEqual([numberKey(1), numberKey(2)]);
    expect(tight.exact).toBe(false);
  });

  it("joins long lists as balanced trees, and turns parts past the depth budget into checked supersets", () => {
    // SQLite nests `a OR b OR c ...` one level per term, and a Durable Object refuses depth past 100
    // (test/workerd/query.test.ts runs these filters there); balanced, 100 terms add 7 levels.
    const wide = { paramsMax: 100, bytesMax: 89_000, depthMax: 97 };
    // Two fields, so the OR is not one field's IN (below).
    const or95 = sql(Array.from({ length: 95 }, (_, i) => `${i % 2 === 0 ? "a" : "b"} = ${i}`).join(" OR "), wide);
    const and100 = sql(Array.from({ length: 100 }, (_, i) => `a != ${i}`).join(" AND "), wide);
    expect([or95.exact, and100.exact]).toEqual([true, true]);
    expect(or95.sql).toMatch(/^\(\(\(/); // nested halves, not a flat chain
    // 19 levels of nesting cannot all fit: the deepest become supersets, re-checked in JavaScript.
    let nested = "a = 0";
    // Alternating AND and OR, so the parser cannot flatten the levels into one list.
    for (let level = 1; level < 19; level++) nested = `(${nested}) ${level % 2 === 0 ? "OR" : "AND"} a != ${level}`;
    const deep = sql(nested, { ...wide, depthMax: 20 }); // 18 levels and a leaf do not fit in 20
    expect(deep.exact).toBe(false);
    // A tight depth budget still gives SQL, never an error.
    expect(sql(nested, { ...wide, depthMax: 1 })).toEqual({ sql: "1", params: [], exact: false, exactConjuncts: [] });
  });

  it("says an OR of one field's equalities as one IN, and lists the exact top-level conjuncts an index can seek on", () => {
    const or = sql("a = 1 OR a = 2 OR a = 3");
    expect(or.params).toEqual([numberKey(1), numberKey(2), numberKey(3)]);
    expect(or.sql.match(/ IN \(/g)).toHaveLength(1);
    expect(or.sql).not.toContain(" OR ");
    expect(or.exactConjuncts).toEqual([{ kind: "in", path: ["a"], values: [1, 2, 3], negated: false }]);
    // Leaves under OR or NOT, and leaves that widened to a superset, are not seekable conjuncts.
    const mixed = sql('a = 1 AND (b = 2 OR c = 3) AND NOT d = 4 AND `it\'s` = 5 AND e = "x"');
    expect(mixed.exactConjuncts.map((c) => c.path)).toEqual([["a"], ["e"]]);
  });
});
