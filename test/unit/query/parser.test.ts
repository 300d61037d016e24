import { describe, expect, it } from "vitest";
import { create } from "@bufbuild/protobuf";
import { CompositeFilter_Operator, FieldFilter_Operator, FilterSchema } from "../../../gen/impossibledb/v1/query_pb.js";
import { parseQueryFilter } from "../../../src/query/parser.js";
import { FailureError } from "../../../src/errors.js";

const text = (t: string) => parseQueryFilter(undefined, t);

function failure(fn: () => unknown): FailureError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FailureError);
    return err as FailureError;
  }
  throw new Error("expected a failure");
}

describe("the AIP-160 text filter", () => {
  it("parses comparisons, presence, has and the id", () => {
    expect(text('age > 21 AND status = "active"')).toEqual({
      kind: "and",
      children: [
        { kind: "compare", path: ["age"], op: ">", value: 21 },
        { kind: "compare", path: ["status"], op: "==", value: "active" },
      ],
    });
    expect(text("a.b:*")).toEqual({ kind: "exists", path: ["a", "b"], present: true });
    expect(text("tags:'x'")).toEqual({ kind: "contains", path: ["tags"], values: ["x"] });
    expect(text("`odd name`.c != null")).toEqual({ kind: "compare", path: ["odd name", "c"], op: "!=", value: null });
    expect(text('__id__ = "k1"')).toEqual({ kind: "compare", path: ["__id__"], op: "==", value: "k1" });
    expect(text("x = -1.5e2")).toEqual({ kind: "compare", path: ["x"], op: "==", value: -150 });
    expect(text('s = "a\\"b\\u00e9"')).toEqual({ kind: "compare", path: ["s"], op: "==", value: 'a"bé' });
  });

  it("spells typed integers and timestamps with int(...) and timestamp(...); plain numbers stay doubles", () => {
    expect(text("n = 9007199254740993")).toEqual({ kind: "compare", path: ["n"], op: "==", value: 9007199254740992 });
    expect(text("n = int(9007199254740993)")).toEqual({ kind: "compare", path: ["n"], op: "==", value: { "\u0001int": "9007199254740993" } });
    expect(text("tags:int( -9223372036854775808 )")).toEqual({ kind: "contains", path: ["tags"], values: [{ "\u0001int": "-9223372036854775808" }] });
    expect(text('at >= timestamp("2026-11-30T16:04:05.5+01:00")')).toEqual({ kind: "compare", path: ["at"], op: ">=", value: { "\u0001ts": "2026-11-30T15:04:05.500000Z" } });
    // A field may still be called int or timestamp.
    expect(text("int = 3 timestamp = 4")).toEqual({
      kind: "and",
      children: [
        { kind: "compare", path: ["int"], op: "==", value: 3 },
        { kind: "compare", path: ["timestamp"], op: "==", value: 4 },
      ],
    });
    expect(failure(() => text("n = int(9223372036854775808)")).message).toMatch(/outside int64/);
    // Errors name typed operands as written, never by their stored tags.
    expect(failure(() => text("int(5) = n")).message).toMatch(/found the value int\(5\) at offset 0/);
    expect(failure(() => text('n = 1 timestamp("2026-01-01T00:00:00Z")')).message).toMatch(/the value timestamp\("2026-01-01T00:00:00.000000Z"\)/);
    expect(failure(() => text("n = int(1.5)")).message).toMatch(/takes a whole number/);
    expect(failure(() => text('at > timestamp("2026-11-30T15:04:05.123456789Z")')).message).toMatch(/finer than a microsecond/);
    expect(failure(() => text('at > timestamp("2026-02-30T00:00:00Z")')).message).toMatch(/not a real date/);
    expect(failure(() => text('at > timestamp("2026-11-30T15:04:05Z"')).message).toMatch(/closing parenthesis/);
  });

  it("binds OR tighter than AND, and juxtaposition is AND, as AIP-160 says", () => {
    expect(text("a = 1 AND b = 2 OR c = 3")).toEqual({
      kind: "and",
      children: [
        { kind: "compare", path: ["a"], op: "==", value: 1 },
        { kind: "or", children: [
          { kind: "compare", path: ["b"], op: "==", value: 2 },
          { kind: "compare", path: ["c"], op: "==", value: 3 },
        ] },
      ],
    });
    expect(text("a = 1 b = 2")).toEqual({ kind: "and", children: [
      { kind: "compare", path: ["a"], op: "==", value: 1 },
      { kind: "compare", path: ["b"], op: "==", value: 2 },
    ] });
    expect(text("NOT (a = 1 OR -b:*)")).toEqual({ kind: "not", child: { kind: "or", children: [
      { kind: "compare", path: ["a"], op: "==", value: 1 },
      { kind: "not", child: { kind: "exists", path: ["b"], present: true } },
    ] } });
  });

  it("says where it stopped", () => {
    expect(failure(() => text("a = 1 AND")).message).toBe("filter: expected a field path, found the end of the filter at offset 9");
    expect(failure(() => text("a = [1]")).message).toBe("filter: a = takes one value, not a list: write a = 1 at offset 2");
    // IN is not AIP-160: the message says what to write instead.
    expect(failure(() => text("a IN (1)")).message).toMatch(/AIP-160 has no IN operator: write a = 1, or use the structured filter's OPERATOR_IN/);
    expect(failure(() => text("a in (1)")).message).toMatch(/AIP-160 has no IN operator/);
    expect(failure(() => text("a IN (1, 2)")).message).toMatch(/write \(a = 1 OR a = 2\)/);
    expect(failure(() => text("a = 1, b = 2")).message).toBe("filter: a comma does not join conditions: for both write a = 1 AND b = 2, or for either a = 1 OR b = 2 at offset 5");
    expect(failure(() => text("a < {}")).message).toMatch(/at offset 4/);
    expect(failure(() => text("1 = a")).message).toMatch(/expected a field path, found the value 1 at offset 0/);
    expect(failure(() => text("a = 'x' )")).message).toMatch(/unexpected "\)" at offset 8/);
    expect(failure(() => text("`a = 1")).message).toMatch(/unterminated backquote in field path at offset 0/);
    expect(failure(() => text("a = 's\\q'")).message).toMatch(/unknown escape \\q at offset 6/);
    // A \u escape can spell half a pair; no stored string holds one, so it could never match.
    expect(failure(() => text('a = "x\\ud800"')).message).toMatch(/^filter: the string at offset 4 holds a lone UTF-16 surrogate \(U\+D800 at offset 1\)/);
    expect(failure(() => text("a = 'x\\ude00\\ud83d'")).message).toMatch(/lone UTF-16 surrogate \(U\+DE00/);
    expect(text('a = "\\ud83d\\ude00"')).toEqual({ kind: "compare", path: ["a"], op: "==", value: "😀" });
    expect(failure(() => text("(".repeat(30) + "a = 1" + ")".repeat(30))).message).toMatch(/FILTER_DEPTH_MAX/);
    expect(failure(() => text("a = 1 ".repeat(600))).message).toMatch(/FILTER_NODES_MAX/);
  });

  it("refuses a number no double holds, too large or too small, naming it", () => {
    expect(failure(() => text("v = 1e400")).message).toBe("filter: number 1e400 is out of range: it is too large for a double (the largest is about 1.8e308) at offset 4");
    expect(failure(() => text("v > -2e308")).message).toMatch(/^filter: number -2e308 is out of range: it is too large for a double/);
    // 1e-400 would read as 0 and match every zero.
    expect(failure(() => text("v = 1e-400")).message).toBe("filter: number 1e-400 is out of range: it is too small for a double and would read as 0 (the least positive double is about 5e-324) at offset 4");
    expect(failure(() => text("v = -0.00001e-330")).message).toMatch(/^filter: number -0.00001e-330 is out of range: .* would read as 0 \(the least positive double is about 5e-324\) at offset 4$/);
    // A subnormal holds fewer digits: 1.23456789e-320 would read as 1.2347e-320, which it does not spell.
    expect(failure(() => text("v > 1.23456789e-320")).message).toBe("filter: number 1.23456789e-320 is out of range: it is too small for a double to hold as written (it would read as 1.2347e-320) at offset 4");
    expect(failure(() => text("v = 3e-324")).message).toMatch(/number 3e-324 is out of range: .*\(it would read as 5e-324\)/);
    expect(failure(() => text("v = 1.0000001e-320")).message).toMatch(/number 1.0000001e-320 is out of range/);
    // Zero however written, and a subnormal as the shortest text or the full digits spell it, are numbers.
    expect(text("v = 0.000e-400")).toEqual({ kind: "compare", path: ["v"], op: "==", value: 0 });
    expect(text("v = 5e-324")).toEqual({ kind: "compare", path: ["v"], op: "==", value: Number.MIN_VALUE });
    expect(text("v = 4.9406564584124654e-324")).toEqual({ kind: "compare", path: ["v"], op: "==", value: Number.MIN_VALUE });
    expect(text("v = 1e-320")).toEqual({ kind: "compare", path: ["v"], op: "==", value: 1e-320 });
    expect(text("v = 9.9998886718268301e-321")).toEqual({ kind: "compare", path: ["v"], op: "==", value: 1e-320 });
    expect(text("v = 2.2250738585072014e-308")).toEqual({ kind: "compare", path: ["v"], op: "==", value: 2 ** -1022 });
    expect(text("v = 1e-307")).toEqual({ kind: "compare", path: ["v"], op: "==", value: 1e-307 });
  });

  it("says that the logical operators are uppercase when a lowercase one reads as a field", () => {
    expect(failure(() => text("a = 1 or b = 2")).message).toBe('filter: "or" is read as a field name: the logical operators are uppercase (AND, OR, NOT); write OR at offset 6');
    expect(failure(() => text("a = 1 and b = 2")).message).toMatch(/"and" is read as a field name: .*write AND at offset 6$/);
    expect(failure(() => text("not a = 1")).message).toMatch(/"not" is read as a field name: .*write NOT at offset 0$/);
    // Literals in another case, NaN, and other languages' operators say what to write.
    expect(failure(() => text("v = NULL")).message).toMatch(/"NULL" is not a value: the literals are lowercase \(true, false, null\); write null, or quote it for the string at offset 4$/);
    expect(failure(() => text("v = True")).message).toMatch(/write true, or quote it/);
    expect(failure(() => text("v = NaN")).message).toMatch(/"NaN" is not a value: a filter compares finite numbers only/);
    expect(failure(() => text("v == 1")).message).toBe("filter: == is not an operator here; write = at offset 2");
    expect(failure(() => text("a = 1 && b = 2")).message).toMatch(/&& is not an operator here; write AND at offset 6$/);
    // SQL's and JavaScript's comparison spellings are told what to write, as == is.
    for (const [written, write] of [["<>", "!="], ["=>", ">="], ["=<", "<="], ["!==", "!="], ["===", "="]]) {
      expect(failure(() => text(`n ${written} 1`)).message).toBe(`filter: ${written} is not an operator here; write ${write} at offset 2`);
      expect(text(`n ${write} 1`)).toMatchObject({ kind: "compare", path: ["n"] });
    }
    expect(failure(() => text("n = +1")).message).toBe("filter: a number is written without a leading +; write 1 at offset 4");
    expect(failure(() => text("n >= +2.5e3")).message).toMatch(/without a leading \+; write 2\.5e3 at offset 5$/);
    expect(failure(() => text("a = 1 || b = 2")).message).toMatch(/\|\| is not an operator here; write OR at offset 6$/);
    expect(text("v = \"NULL\"")).toEqual({ kind: "compare", path: ["v"], op: "==", value: "NULL" });
    // A field really named like one is a field.
    expect(text("or = 1")).toEqual({ kind: "compare", path: ["or"], op: "==", value: 1 });
  });

  it("says what to write for SQL's IS NULL, IS NOT NULL, IN and NOT IN, with the user's field and values (a list's comma or bracket was blamed)", () => {
    expect(failure(() => text("x IS NULL")).message).toBe("filter: IS NULL is not an operator here; write x = null (a field that holds null; NOT x:* matches a missing one) at offset 2");
    expect(failure(() => text("a = 1 AND x is null")).message).toMatch(/IS NULL is not an operator here; write x = null .* at offset 12$/);
    expect(failure(() => text("x IS NOT NULL")).message).toBe("filter: IS NOT NULL is not an operator here; write x != null (a field that holds a value other than null) at offset 2");
    expect(failure(() => text("x IS 1")).message).toBe("filter: IS is not an operator here; write = at offset 2");
    // IS NOT <value> asks for the opposite of IS <value>: the advice was `=` for both, which inverts the filter.
    expect(failure(() => text("n IS NOT 5")).message).toBe("filter: IS NOT is not an operator here; write != at offset 2");
    expect(failure(() => text('n is not "x"')).message).toBe("filter: IS NOT is not an operator here; write != at offset 2");
    expect(failure(() => text("x IN [1,2]")).message).toBe("filter: AIP-160 has no IN operator: write (x = 1 OR x = 2), or use the structured filter's OPERATOR_IN (docs/queries.md) at offset 2");
    expect(failure(() => text("x IN (1,2)")).message).toBe("filter: AIP-160 has no IN operator: write (x = 1 OR x = 2), or use the structured filter's OPERATOR_IN (docs/queries.md) at offset 2");
    expect(failure(() => text(`x in ("a,b", 'c')`)).message).toMatch(/no IN operator: write \(x = "a,b" OR x = 'c'\), /);
    expect(failure(() => text("x NOT IN [1, 2]")).message).toBe(
      "filter: AIP-160 has no NOT IN operator: write (x != 1 AND x != 2), or use the structured filter's OPERATOR_NOT_IN (docs/queries.md) at offset 2",
    );
    // A long list is not spelled out: the suggestion shows the form.
    expect(failure(() => text("x IN (1, 2, 3, 4, 5)")).message).toMatch(/write \(x = 1 OR x = 2\), or use the structured filter's OPERATOR_IN/);
    // The suggestions are filters this parser takes.
    expect(text("x = null")).toEqual({ kind: "compare", path: ["x"], op: "==", value: null });
    expect(text("(x != 1 AND x != 2)")).toMatchObject({ kind: "and" });
  });

  it("says what to write for a hexadecimal or separated number in int(...) and for 0_1, as for a bare number (int(0x10) was told only the form)", () => {
    expect(failure(() => text("v = int(0x10)")).message).toBe("filter: int(0x10) takes decimal numbers only, not hexadecimal; write int(16) at offset 4");
    expect(failure(() => text("v = int(-0o17)")).message).toMatch(/int\(-0o17\) takes decimal numbers only, not octal; write int\(-15\) at offset 4$/);
    expect(failure(() => text("v = int(1_000)")).message).toBe("filter: int(1_000) takes no digit separators (_); write int(1000) at offset 4");
    expect(failure(() => text("v = int(1.5)")).message).toMatch(/int\(\.\.\.\) takes a whole number/);
    // 0_1 without its separator is 01, itself refused for its leading zero: the suggestion is 1.
    expect(failure(() => text("v = 0_1")).message).toBe("filter: 0_1 is not a number: a filter takes no digit separators (_); write 1 at offset 4");
    expect(failure(() => text("v = 0x1_0")).message).toMatch(/not hexadecimal; write 16 at offset 4$/);
    for (const suggested of ["int(16)", "int(1000)", "1"]) expect(text(`v = ${suggested}`)).toMatchObject({ kind: "compare" });
  });

  it("says what is wrong with a number in a form a filter does not take", () => {
    expect(failure(() => text("v = 0x10")).message).toBe("filter: 0x10 is not a number: a filter takes decimal numbers only, not hexadecimal; write 16 at offset 4");
    expect(failure(() => text("v = -0X1f")).message).toMatch(/-0X1f is not a number: .* not hexadecimal; write -31 at offset 4/);
    expect(failure(() => text("v = 0b101")).message).toMatch(/0b101 is not a number: .* not binary; write 5/);
    expect(failure(() => text("v = 0xg")).message).toMatch(/0xg is not a number: .* not hexadecimal at offset 4$/);
    expect(failure(() => text("v = 1_000")).message).toBe("filter: 1_000 is not a number: a filter takes no digit separators (_); write 1000 at offset 4");
    expect(failure(() => text("v = 1.5e")).message).toMatch(/^filter: 1.5e is not a number: a number is decimal digits/);
    expect(failure(() => text("v = 1.2.3 AND w = 1")).message).toMatch(/^filter: 1.2.3 is not a number/);
    expect(failure(() => text("v = .")).message).toMatch(/^filter: \. is not a number/);
    // Leading zeros: 010 is octal 8 in C and old JavaScript; refused (as JSON refuses them), saying what to write.
    expect(failure(() => text("v = 010")).message).toBe("filter: 010 is not a number: a filter takes no leading zeros (some languages read them as octal); write 10 at offset 4");
    expect(failure(() => text("v = -0010.5")).message).toMatch(/-0010.5 is not a number: .*leading zeros.*; write -10.5 at offset 4$/);
    expect(failure(() => text("v = int(010)")).message).toMatch(/int\(010\) takes no leading zeros .*; write int\(10\)/);
    expect(failure(() => text("v = int(-007)")).message).toMatch(/write int\(-7\)/);
    for (const zero of ["0", "-0", "0.5", "0e3", "-0.25", ".5"]) expect(text(`v = ${zero}`)).toEqual({ kind: "compare", path: ["v"], op: "==", value: Number(zero) });
    expect(text("v = int(0)")).toMatchObject({ kind: "compare", path: ["v"], op: "==" });
    // A number ends at a space, an operator or a parenthesis.
    expect(text("(v=1)")).toEqual({ kind: "compare", path: ["v"], op: "==", value: 1 });
    expect(text("v=-2 w>=.5")).toEqual({ kind: "and", children: [{ kind: "compare", path: ["v"], op: "==", value: -2 }, { kind: "compare", path: ["w"], op: ">=", value: 0.5 }] });
  });
});

describe("the structured filter", () => {
  const ff = (field: string, op: FieldFilter_Operator, value?: unknown) =>
    create(FilterSchema, { filterType: { case: "fieldFilter", value: { field, op, value: value as never } } });

  it("checks operands per operator and names the message path", () => {
    const list = { kind: { case: "listValue", value: { values: [{ kind: { case: "numberValue", value: 1 } }] } } };
    const nested = create(FilterSchema, {
      filterType: { case: "compositeFilter", value: { op: CompositeFilter_Operator.OR, filters: [ff("a", FieldFilter_Operator.EQUAL, { kind: { case: "numberValue", value: 1 } }), ff("b", FieldFilter_Operator.IN, { kind: { case: "stringValue", value: "x" } })] } },
    });
    expect(failure(() => parseQueryFilter(nested, "")).message).toBe("where.composite_filter.filters[1].field_filter.value: IN takes a list of values");
    expect(parseQueryFilter(ff("b", FieldFilter_Operator.NOT_IN, list), "")).toEqual({ kind: "in", path: ["b"], values: [1], negated: true });
    expect(parseQueryFilter(ff("b", FieldFilter_Operator.EXISTS), "")).toEqual({ kind: "exists", path: ["b"], present: true });
    expect(failure(() => parseQueryFilter(ff("b", FieldFilter_Operator.EXISTS, { kind: { case: "numberValue", value: 1 } }), "")).message).toMatch(/EXISTS takes true, false or no value/);
    expect(failure(() => parseQueryFilter(ff("b", FieldFilter_Operator.GREATER_THAN), "")).message).toMatch(/value is required for GREATER_THAN/);
    expect(failure(() => parseQueryFilter(ff("b", FieldFilter_Operator.EQUAL, { kind: { case: "numberValue", value: NaN } }), "")).message).toMatch(/numbers must be finite/);
    expect(failure(() => parseQueryFilter(ff("b", 99 as FieldFilter_Operator, { kind: { case: "numberValue", value: 1 } }), "")).message).toMatch(/where.field_filter.op: unknown operator 99/);
    expect(failure(() => parseQueryFilter(ff("a.`", FieldFilter_Operator.EQUAL, list), "")).message).toMatch(/^where.field_filter.field: /);
    const str = (value: string) => ({ kind: { case: "stringValue", value } });
    expect(failure(() => parseQueryFilter(ff("b", FieldFilter_Operator.EQUAL, str("\ud800x")), "")).message).toMatch(/^where\.field_filter\.value is a string that holds a lone UTF-16 surrogate/);
    const inList = { kind: { case: "listValue", value: { values: [str("ok"), str("\udfff")] } } };
    expect(failure(() => parseQueryFilter(ff("b", FieldFilter_Operator.IN, inList), "")).message).toMatch(/^where\.field_filter\.value\[1\] is a string that holds/);
    const badKey = { kind: { case: "structValue", value: { fields: { "\ud800": str("x") } } } };
    expect(failure(() => parseQueryFilter(ff("m", FieldFilter_Operator.EQUAL, badKey), "")).message).toMatch(/^where\.field_filter\.value has a field name "\\ud800" that holds/);
    expect(failure(() => parseQueryFilter(ff("`\ud800`", FieldFilter_Operator.EQUAL, str("x")), "")).message).toMatch(/^where\.field_filter\.field: field path holds a lone UTF-16 surrogate/);
    expect(parseQueryFilter(ff("`😀`", FieldFilter_Operator.EQUAL, str("😀")), "")).toEqual({ kind: "compare", path: ["😀"], op: "==", value: "😀" });
  });

  it("stops counting at FILTER_NODES_MAX while it parses", () => {
    const leaf = ff("a", FieldFilter_Operator.EXISTS);
    const wide = (filters: unknown[]) => create(FilterSchema, { filterType: { case: "compositeFilter", value: { op: CompositeFilter_Operator.AND, filters: filters as never } } });
    const huge = wide(Array.from({ length: 100 }, () => wide(Array.from({ length: 100 }, () => leaf))));
    expect(failure(() => parseQueryFilter(huge, "")).message).toMatch(/more than FILTER_NODES_MAX \(500\) nodes/);
  });

  it("ANDs the structured and the text filter", () => {
    const both = parseQueryFilter(ff("a", FieldFilter_Operator.EXISTS), "b = 1");
    expect(both).toEqual({ kind: "and", children: [{ kind: "exists", path: ["a"], present: true }, { kind: "compare", path: ["b"], op: "==", value: 1 }] });
  });
});
