import { describe, expect, it } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import { parseQueryFilter } from "../../../src/query/parser.js";
import { matches } from "../../../src/query/evaluate.js";
import type { Expr } from "../../../src/query/expression.js";
import { FailureError } from "../../../src/errors.js";

const text = (t: string) => parseQueryFilter(undefined, t);

function message(filter: string): string {
  try {
    text(filter);
  } catch (err) {
    expect(err).toBeInstanceOf(FailureError);
    return (err as FailureError).message;
  }
  throw new Error(`expected ${filter} to be refused`);
}

/** The filter a refusal tells the user to write (between "write " and ", or" or the offset). */
function suggested(msg: string): string {
  const m = /write (.+?)(?:, or use|, or | with your values| at offset)/.exec(msg);
  if (m === null) throw new Error(`no suggestion in ${msg}`);
  return m[1]!;
}

const docs: JsonObject[] = [{ n: null }, { n: 1 }, { n: 2 }, { n: "x" }, {}, { n: [1] }];
const ids = (expr: Expr) => docs.flatMap((data, i) => (matches(expr, { id: `d${i}`, data }) ? [i] : []));

describe("SQL list advice", () => {
  it("spells the user's own field and values, typed operands included (they got the placeholder (n = 1 OR n = 2))", () => {
    expect(message("n IN (int(5), 6)")).toBe("filter: AIP-160 has no IN operator: write (n = int(5) OR n = 6), or use the structured filter's OPERATOR_IN (docs/queries.md) at offset 2");
    expect(message('n IN (timestamp("2026-01-01T00:00:00Z"), 2)')).toMatch(/write \(n = timestamp\("2026-01-01T00:00:00Z"\) OR n = 2\), or use/);
    expect(message("n NOT IN [int(5), 'a']")).toMatch(/no NOT IN operator: write \(n != int\(5\) AND n != 'a'\), or use the structured filter's OPERATOR_NOT_IN/);
  });

  it("an empty list says so, with the user's field", () => {
    expect(message("n IN ()")).toBe("filter: AIP-160 has no IN operator, and the list is empty (OPERATOR_IN takes at least one value): write (n = 1 OR n = 2) with your values, or use the structured filter's OPERATOR_IN (docs/queries.md) at offset 2");
  });

  it("a bad literal in the list is reported first, by name (a bare word was blamed on the comma with the field a; 1_000 was suggested back)", () => {
    expect(message("n IN (foo, bar)")).toBe('filter: expected a value, found the bare word "foo"; quote strings at offset 6');
    expect(message("n IN (foo)")).toBe('filter: expected a value, found the bare word "foo"; quote strings at offset 6');
    expect(message("n IN (1, 2, 1_000)")).toMatch(/1_000 .*write 1000 at offset 12$/);
    expect(message("n IN (0x10, 1_000)")).toMatch(/0x10.* at offset 6$/);
  });

  it("a NOT IN whose list holds null says it matches nothing, and suggests the list without null", () => {
    expect(message("n NOT IN (null, 1)")).toBe(
      "filter: AIP-160 has no NOT IN operator, and a NOT IN whose list holds null matches nothing (as in SQL and OPERATOR_NOT_IN); without null, write n != 1 at offset 2",
    );
    expect(message("n NOT IN (null)")).toMatch(/matches nothing .*; for a field that holds a value other than null, write n != null at offset 2$/);
    // As the evaluator has it: OPERATOR_NOT_IN with null matches nothing, where the old suggestion matched documents.
    const notIn: Expr = { kind: "in", path: ["n"], values: [null, 1], negated: true };
    expect(ids(notIn)).toEqual([]);
    expect(ids(text("(n != null AND n != 1)")).length).toBeGreaterThan(0);
    expect(ids(text("n != 1"))).toEqual(ids({ kind: "in", path: ["n"], values: [1], negated: true }));
  });

  it("an IN with null keeps it: = null matches what OPERATOR_IN with null matches", () => {
    const msg = message("n IN (null, 1)");
    expect(suggested(msg)).toBe("(n = null OR n = 1)");
    expect(ids(text(suggested(msg)))).toEqual(ids({ kind: "in", path: ["n"], values: [null, 1], negated: false }));
  });

  it("every suggestion parses and matches what the structured operator matches", () => {
    const cases: Array<[string, Expr]> = [
      ["n IN (1, 2)", { kind: "in", path: ["n"], values: [1, 2], negated: false }],
      ["n IN [1,'x']", { kind: "in", path: ["n"], values: [1, "x"], negated: false }],
      ["n NOT IN (1, 2)", { kind: "in", path: ["n"], values: [1, 2], negated: true }],
      ["n not in ('x')", { kind: "in", path: ["n"], values: ["x"], negated: true }],
      ["n IN (null, 1)", { kind: "in", path: ["n"], values: [null, 1], negated: false }],
    ];
    for (const [filter, structured] of cases) {
      const written = suggested(message(filter));
      expect(ids(text(written)), `${filter} -> ${written}`).toEqual(ids(structured));
    }
    for (const filter of ["n IN ()", "n IN (1, 2, 3, 4, 5)", "n NOT IN (null, 1)", "n NOT IN (null)", "n IN (int(5), 6)", "n IN 5"]) {
      expect(() => text(suggested(message(filter))), filter).not.toThrow();
    }
  });
});

/** Every filter a refusal offers: after "write", and the alternative after ", or for all of them" / ", or for either". */
function suggestions(msg: string): string[] {
  const out = [suggested(msg)];
  const other = /, or for (?:all of them|either) (.+?) at offset \d+$/.exec(msg);
  if (other !== null) out.push(other[1]!);
  return out;
}

// `x:(1,2)`, `x = [1,2]`, `a = 1, b = 2` and `n IN 5` got generic words
// ('unexpected character ","' with a placeholder field, 'unexpected
// character "["', a placeholder list for one value): each now gets the form
// that works, with the user's field and values, and every form parses.
describe("lists after an operator, commas between conditions, IN with one value", () => {
  const cases: Array<[string, string]> = [
    ["x:(1,2)", "filter: x: takes one value, not a list: for an array that holds any of them write (x:1 OR x:2), or for all of them x:1 AND x:2 at offset 1"],
    ["tags:[\"a\", 'b']", "filter: tags: takes one value, not a list: for an array that holds any of them write (tags:\"a\" OR tags:'b'), or for all of them tags:\"a\" AND tags:'b' at offset 4"],
    ["x:(1)", "filter: x: takes one value, not a list: write x:1 at offset 1"],
    ["x = [1,2]", "filter: x = takes one value, not a list: for any of them write (x = 1 OR x = 2), or use the structured filter's OPERATOR_IN (docs/queries.md) at offset 2"],
    ["x = (1, 2)", "filter: x = takes one value, not a list: for any of them write (x = 1 OR x = 2), or use the structured filter's OPERATOR_IN (docs/queries.md) at offset 2"],
    ["x != [1, 'a']", "filter: x != takes one value, not a list: for none of them write (x != 1 AND x != 'a'), or use the structured filter's OPERATOR_NOT_IN (docs/queries.md) at offset 2"],
    ["x >= [3, 4]", "filter: x >= takes one value, not a list: to compare with one of them, write x >= 3 at offset 2"],
    ["a = 1, b = 2", "filter: a comma does not join conditions: for both write a = 1 AND b = 2, or for either a = 1 OR b = 2 at offset 5"],
    ["n IN 5", "filter: AIP-160 has no IN operator, and IN takes a list, not one value: write n = 5, or use the structured filter's OPERATOR_IN (docs/queries.md) at offset 2"],
    ["n NOT IN 'x'", "filter: AIP-160 has no NOT IN operator, and NOT IN takes a list, not one value: write n != 'x', or use the structured filter's OPERATOR_NOT_IN (docs/queries.md) at offset 2"],
  ];

  it("each is INVALID_ARGUMENT naming the form that works, with the user's own field and values", () => {
    for (const [filter, want] of cases) expect(message(filter), filter).toBe(want);
  });

  it("every form a refusal offers parses, the forms with placeholders included", () => {
    const placeholders = ["x:(1 OR 2)", "x = (1 OR 2)", "x = []", "x < (1 OR 2)", "a = 1, b = 2, c = 3", "a = 1 AND (y = [1,2])", "x = (-1, 2)", "x:[1,2,3,4,5]"];
    for (const filter of [...cases.map(([f]) => f), ...placeholders]) {
      const msg = message(filter);
      expect(msg, filter).not.toMatch(/unexpected/);
      for (const s of suggestions(msg)) expect(() => text(s), `${filter} -> ${s}`).not.toThrow();
    }
    expect(message("a = 1,")).toBe("filter: a comma does not join conditions, and no condition follows this one: remove it at offset 5");
  });

  it("the forms match what the user meant", () => {
    const arrays: JsonObject[] = [{ x: [1] }, { x: [2] }, { x: [1, 2] }, { x: [3] }, { x: 1 }, {}];
    const on = (expr: Expr) => arrays.flatMap((data, i) => (matches(expr, { id: `d${i}`, data }) ? [i] : []));
    const [any, all] = suggestions(message("x:(1,2)")) as [string, string];
    expect(on(text(any))).toEqual([0, 1, 2]);
    expect(on(text(all))).toEqual([2]);
    expect(ids(text(suggested(message("n = [1, 'x']"))))).toEqual(ids({ kind: "in", path: ["n"], values: [1, "x"], negated: false }));
    expect(ids(text(suggested(message("n != [1, 'x']"))))).toEqual(ids({ kind: "in", path: ["n"], values: [1, "x"], negated: true }));
    expect(ids(text(suggested(message("n IN 1"))))).toEqual(ids({ kind: "in", path: ["n"], values: [1], negated: false }));
  });
});
