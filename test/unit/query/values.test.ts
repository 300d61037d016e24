import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { canonicalJson, compareStrings, compareValues, valuesEqual } from "../../../src/query/values.js";
import { oracleCompareStrings } from "./oracle.js";

describe("the total order", () => {
  it("ranks types: missing < null < booleans < numbers < strings < arrays < maps", () => {
    const ordered = [undefined, null, false, true, -1e300, -1, 0, 0.5, 2, 1e300, "", "A", "a", "é", "😀", [3], { a: 1 }];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = i + 1; j < ordered.length; j++) {
        expect(compareValues(ordered[i], ordered[j]), `${JSON.stringify(ordered[i])} < ${JSON.stringify(ordered[j])}`).toBeLessThan(0);
        expect(compareValues(ordered[j], ordered[i])).toBeGreaterThan(0);
      }
    }
  });

  it("arrays tie with arrays and maps with maps", () => {
    expect(compareValues([1, 2], ["z"])).toBe(0);
    expect(compareValues({ a: 1 }, { b: [] })).toBe(0);
  });

  it("compares strings by code point, as SQLite compares UTF-8 bytes", () => {
    // UTF-16 code units put U+1F600 (a surrogate pair) before U+FFFF; code points do not.
    expect("😀" < "\uffff").toBe(true);
    expect(compareStrings("😀", "\uffff")).toBeGreaterThan(0);
    expect(compareStrings("\ue000", "😀")).toBeLessThan(0);
    const utf8 = (s: string) => [...new TextEncoder().encode(s)];
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string({ unit: "binary" }), (a, b) => {
        const bytes = Math.sign(compareByteArrays(utf8(a), utf8(b)));
        expect(Math.sign(compareStrings(a, b))).toBe(bytes);
        expect(Math.sign(oracleCompareStrings(a, b))).toBe(bytes);
      }),
    );
  });
});

describe("equality", () => {
  it("is deep, and map entries compare in any order", () => {
    expect(valuesEqual({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBe(true);
    expect(valuesEqual([1, 2], [2, 1])).toBe(false);
    expect(valuesEqual(1, "1")).toBe(false);
    expect(valuesEqual(null, undefined)).toBe(false);
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe('{"a":{"c":3,"d":2},"b":1}');
  });
});

function compareByteArrays(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}
