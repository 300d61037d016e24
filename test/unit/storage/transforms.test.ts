/** Field transforms (storage/transforms.ts): Firestore's semantics in our double-only number model. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { applyTransforms, arrayRemove, arrayUnion, transformConflict, valueKey, type FieldTransformSpec } from "../../../src/storage/transforms.js";
import { proposedData } from "../../../src/storage/proposed.js";
import { TRANSFORMS_PER_WRITE_MAX } from "../../../src/limits.js";

const NOW = Date.UTC(2026, 10, 30, 12, 0, 0, 123);
const inc = (path: string, operand: number): FieldTransformSpec => ({ path: path.split("."), kind: "increment", operand });

function applied(data: JsonObject, ...transforms: FieldTransformSpec[]): JsonObject {
  const out = applyTransforms(data, transforms, NOW);
  if (!out.ok) throw new Error(out.message);
  return out.data;
}

describe("increment", () => {
  it("adds to a number, and sets a missing or non-numeric field to the operand", () => {
    expect(applied({ n: 2 }, inc("n", 3))).toEqual({ n: 5 });
    expect(applied({}, inc("n", 3))).toEqual({ n: 3 });
    expect(applied({ n: "2" }, inc("n", 3))).toEqual({ n: 3 });
    expect(applied({ n: null }, inc("n", -1))).toEqual({ n: -1 });
    expect(applied({ n: 0.1 }, inc("n", 0.2)).n).toBe(0.1 + 0.2);
  });

  it("creates the maps on the way, replacing a value that is not a map", () => {
    expect(applied({ a: 1 }, inc("s.views", 1))).toEqual({ a: 1, s: { views: 1 } });
    expect(applied({ s: "x" }, inc("s.views", 1))).toEqual({ s: { views: 1 } });
  });

  it("refuses a sum of safe integers past 2^53-1, and any sum that is not finite", () => {
    const atMax = applyTransforms({ n: Number.MAX_SAFE_INTEGER }, [inc("n", 1)], NOW);
    expect(atMax).toMatchObject({ ok: false, kind: "out_of_range" });
    expect(applyTransforms({ n: -Number.MAX_SAFE_INTEGER }, [inc("n", -1)], NOW)).toMatchObject({ ok: false, kind: "out_of_range" });
    expect(applyTransforms({ n: 1.7e308 }, [inc("n", 1.7e308)], NOW)).toMatchObject({ ok: false, kind: "out_of_range", message: expect.stringMatching(/overflows/) });
    // A double already past the safe integers counts as a double.
    expect(applied({ n: 1e300 }, inc("n", 1))).toEqual({ n: 1e300 });
  });

  it("adds a whole JSON number to a typed integer as an integer, exact, refusing a sum past int64", () => {
    const int = (n: bigint): JsonObject => ({ "\u0001int": String(n) });
    const json = (operand: number): FieldTransformSpec => ({ path: ["n"], kind: "increment", operand, jsonNumber: true });
    // As a double, 2^60 + 1 would be 2^60: the +1 lost.
    expect(applied({ n: int(2n ** 60n) }, json(1))).toEqual({ n: int(2n ** 60n + 1n) });
    expect(applied({ n: int(5n) }, json(-7))).toEqual({ n: int(-2n) });
    expect(applied({ n: int(-(2n ** 63n) + 1n) }, json(-1))).toEqual({ n: int(-(2n ** 63n)) });
    expect(applyTransforms({ n: int(-(2n ** 63n)) }, [json(-1)], NOW)).toMatchObject({ ok: false, kind: "out_of_range", message: "transform 0 (increment of n): -9223372036854775808 + -1 leaves int64; nothing was written" });
    expect(applyTransforms({ n: int(1n) }, [json(2 ** 63)], NOW)).toMatchObject({ ok: false, kind: "out_of_range", message: expect.stringMatching(/leaves int64/) });
    // A fractional JSON number, or a typed double, makes the sum a double (as MongoDB's long + double).
    expect(applied({ n: int(5n) }, json(0.5))).toEqual({ n: 5.5 });
    expect(applied({ n: int(5n) }, inc("n", 1))).toEqual({ n: 6 });
    // A stored double stays a double, and a missing field takes the JSON number itself.
    expect(applied({ n: 5 }, json(1))).toEqual({ n: 6 });
    expect(applied({}, json(1))).toEqual({ n: 1 });
  });

  it("N increments in any order sum exactly (property)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -1e6, max: 1e6 }), { maxLength: 50 }), fc.integer({ min: -1e9, max: 1e9 }), (steps, start) => {
        let doc: JsonObject = { n: start };
        for (const s of steps) doc = applied(doc, inc("n", s));
        let reversed: JsonObject = { n: start };
        for (const s of [...steps].reverse()) reversed = applied(reversed, inc("n", s));
        const sum = steps.reduce((a, b) => a + b, start);
        expect(doc.n).toBe(sum);
        expect(reversed.n).toBe(sum);
      }),
    );
  });
});

describe("maximum and minimum", () => {
  it("keep the larger (smaller) number; a missing or non-numeric field takes the operand", () => {
    const max = (v: JsonValue | undefined, o: number) => applied(v === undefined ? {} : { x: v }, { path: ["x"], kind: "maximum", operand: o }).x;
    const min = (v: JsonValue | undefined, o: number) => applied(v === undefined ? {} : { x: v }, { path: ["x"], kind: "minimum", operand: o }).x;
    expect(max(3, 5)).toBe(5);
    expect(max(7, 5)).toBe(7);
    expect(min(3, 5)).toBe(3);
    expect(min(7, 5)).toBe(5);
    expect(max(undefined, -2)).toBe(-2);
    expect(min("a", 4)).toBe(4);
    expect(max([1], 4)).toBe(4);
    // Equal values keep the stored one (0 and -0 are equal).
    expect(Object.is(max(0, -0), 0)).toBe(true);
    expect(Object.is(min(-0, 0), -0)).toBe(true);
  });

  it("keep a typed integer an integer against a whole JSON number, as increment does", () => {
    const int = (n: bigint): JsonObject => ({ "\u0001int": String(n) });
    const json = (kind: "maximum" | "minimum", operand: number): FieldTransformSpec => ({ path: ["n"], kind, operand, jsonNumber: true });
    // The winning operand is stored as an integer (it was a double: 10.0, the field's type lost).
    expect(applied({ n: int(5n) }, json("maximum", 10))).toEqual({ n: int(10n) });
    expect(applied({ n: int(5n) }, json("minimum", -3))).toEqual({ n: int(-3n) });
    // The stored integer wins, or ties, and stays as it was.
    expect(applied({ n: int(2n ** 60n + 1n) }, json("maximum", 2 ** 60))).toEqual({ n: int(2n ** 60n + 1n) });
    expect(applied({ n: int(7n) }, json("minimum", 7))).toEqual({ n: int(7n) });
    // A fractional operand, or one int64 cannot hold, wins as the double it is; a stored double stays a double.
    expect(applied({ n: int(5n) }, json("maximum", 5.5))).toEqual({ n: 5.5 });
    expect(applied({ n: int(5n) }, json("maximum", 2 ** 64))).toEqual({ n: 2 ** 64 });
    expect(applied({ n: 5 }, json("maximum", 10))).toEqual({ n: 10 });
    // A typed double operand (no jsonNumber) is a double by the caller's choice.
    expect(applied({ n: int(5n) }, { path: ["n"], kind: "maximum", operand: 10 })).toEqual({ n: 10 });
  });

  it("agree with Math.max and Math.min on numbers (property)", () => {
    const num = fc.double({ noNaN: true, noDefaultInfinity: true });
    fc.assert(
      fc.property(num, num, (stored, operand) => {
        expect(applied({ x: stored }, { path: ["x"], kind: "maximum", operand }).x).toBe(stored >= operand ? stored : operand);
        expect(applied({ x: stored }, { path: ["x"], kind: "minimum", operand }).x).toBe(stored <= operand ? stored : operand);
      }),
    );
  });
});

describe("server_timestamp", () => {
  it("writes the write's time as an RFC 3339 string with milliseconds, in UTC", () => {
    expect(applied({}, { path: ["at"], kind: "server_timestamp" })).toEqual({ at: "2026-11-30T12:00:00.123Z" });
  });
});

describe("array union and removal", () => {
  const union = (current: JsonValue | undefined, elements: JsonValue[]) =>
    applied(current === undefined ? {} : { a: current }, { path: ["a"], kind: "append_missing_elements", elements }).a;
  const remove = (current: JsonValue | undefined, elements: JsonValue[]) =>
    applied(current === undefined ? {} : { a: current }, { path: ["a"], kind: "remove_all_from_array", elements }).a;

  it("appends the missing elements in order, once each", () => {
    expect(union([1, 2], [2, 3, 3, 4])).toEqual([1, 2, 3, 4]);
    expect(union(undefined, ["x"])).toEqual(["x"]);
    expect(union("not an array", ["x"])).toEqual(["x"]);
    // Maps compare by content, whatever the order of their fields.
    expect(union([{ a: 1, b: 2 }], [{ b: 2, a: 1 }, { a: 2 }])).toEqual([{ a: 1, b: 2 }, { a: 2 }]);
    expect(union([null, [1, 2]], [null, [2, 1], [1, 2]])).toEqual([null, [1, 2], [2, 1]]);
    // Duplicates already stored stay.
    expect(union([1, 1], [1])).toEqual([1, 1]);
  });

  it("removes every equal element; a missing or non-array field becomes []", () => {
    expect(remove([1, 2, 1, 3, { k: [1] }], [1, { k: [1] }])).toEqual([2, 3]);
    expect(remove(undefined, [1])).toEqual([]);
    expect(remove(5, [1])).toEqual([]);
    expect(remove(["1", 1], [1])).toEqual(["1"]);
  });

  const json = fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>;
  it("union keeps the stored array as a prefix, holds every operand element, and is idempotent (property)", () => {
    fc.assert(
      fc.property(fc.array(json, { maxLength: 10 }), fc.array(json, { maxLength: 10 }), (current, elements) => {
        const once = arrayUnion(current, elements);
        expect(once.slice(0, current.length)).toEqual(current);
        const keys = new Set(once.map(valueKey));
        for (const e of elements) expect(keys.has(valueKey(e))).toBe(true);
        expect(arrayUnion(once, elements)).toEqual(once);
      }),
    );
  });

  it("removal leaves no equal element and keeps the others in order (property)", () => {
    fc.assert(
      fc.property(fc.array(json, { maxLength: 10 }), fc.array(json, { maxLength: 5 }), (current, elements) => {
        const out = arrayRemove(current, elements);
        const dropped = new Set(elements.map(valueKey));
        expect(out.some((e) => dropped.has(valueKey(e)))).toBe(false);
        expect(out).toEqual(current.filter((e) => !dropped.has(valueKey(e))));
        expect(arrayRemove(arrayUnion(current, elements), elements)).toEqual(out);
      }),
    );
  });

  it("valueKey is equal exactly for equal values (property)", () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        expect(valueKey(a) === valueKey(b)).toBe(JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b)));
        expect(valueKey(structuredClone(a))).toBe(valueKey(a));
      }),
    );
  });
});

describe("applyTransforms", () => {
  it("applies in order, returns each field's result, and leaves its input unchanged", () => {
    const input: JsonObject = { n: 1, tags: ["a"], deep: { m: 1 } };
    const snapshot = structuredClone(input);
    const out = applyTransforms(input, [inc("n", 1), { path: ["tags"], kind: "append_missing_elements", elements: ["b"] }, inc("deep.m", 5)], NOW);
    expect(out).toEqual({ ok: true, data: { n: 2, tags: ["a", "b"], deep: { m: 6 } }, results: [2, ["a", "b"], 6] });
    expect(input).toEqual(snapshot);
  });

  it("writes field names that mean something to JavaScript as plain fields", () => {
    const out = applied({}, inc("__proto__.n", 1), inc("constructor", 2));
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(out))).toEqual(JSON.parse('{"__proto__":{"n":1},"constructor":2}'));
    expect(({} as Record<string, unknown>).n).toBeUndefined();
  });
});

describe("transformConflict", () => {
  const none = { data: {}, mask: null };
  it("refuses overlapping transforms, and too many", () => {
    expect(transformConflict(none, [inc("a", 1), inc("a", 2)])).toMatch(/overlapping fields a and a/);
    expect(transformConflict(none, [inc("a.b", 1), inc("a", 2)])).toMatch(/overlapping/);
    expect(transformConflict(none, [inc("a.b", 1), inc("a.c", 2)])).toBeNull();
    const many = Array.from({ length: TRANSFORMS_PER_WRITE_MAX + 1 }, (_, i) => inc(`f${i}`, 1));
    expect(transformConflict(none, many)).toMatch(/TRANSFORMS_PER_WRITE_MAX/);
    expect(transformConflict(none, many.slice(1))).toBeNull();
  });

  it("refuses a transform on, inside or above a masked path", () => {
    expect(transformConflict({ data: {}, mask: [["n"]] }, [inc("n", 1)])).toMatch(/update mask path n/);
    expect(transformConflict({ data: {}, mask: [["s"]] }, [inc("s.n", 1)])).toMatch(/update mask/);
    expect(transformConflict({ data: {}, mask: [["s", "n"]] }, [inc("s", 1)])).toMatch(/update mask/);
    expect(transformConflict({ data: {}, mask: [["s", "m"]] }, [inc("s.n", 1)])).toBeNull();
  });

  it("without a mask, refuses a transform on a field the data sets or through a non-map value", () => {
    expect(transformConflict({ data: { n: 1 }, mask: null }, [inc("n", 1)])).toMatch(/data sets/);
    expect(transformConflict({ data: { s: 1 }, mask: null }, [inc("s.n", 1)])).toMatch(/field s that/);
    expect(transformConflict({ data: { s: { n: 1 } }, mask: null }, [inc("s", 1)])).toMatch(/data sets/);
    expect(transformConflict({ data: { s: { m: 1 } }, mask: null }, [inc("s.n", 1)])).toBeNull();
  });
});

describe("proposedData", () => {
  it("applies the transforms after the data or the patch", () => {
    const w = { collection: "c", id: "d" };
    expect(proposedData({ ...w, op: "update", data: { a: 1 }, mask: null, transforms: [inc("n", 1)] }, { n: 41, a: 0 }, NOW)).toEqual({ ok: true, data: { n: 42, a: 1 } });
    expect(proposedData({ ...w, op: "set", data: { a: 1 }, transforms: [inc("n", 1)] }, { n: 41 }, NOW)).toEqual({ ok: true, data: { a: 1, n: 1 } });
    expect(proposedData({ ...w, op: "update", data: { s: {} }, mask: null, transforms: [inc("s.n", 2)] }, { s: { n: 1, m: 1 } }, NOW)).toEqual({ ok: true, data: { s: { n: 2 } } });
    expect(proposedData({ ...w, op: "delete", transforms: [inc("n", 1)] }, { n: 1 }, NOW)).toMatchObject({ ok: false, kind: "invalid_argument" });
    expect(proposedData({ ...w, op: "delete" }, { n: 1 }, NOW)).toBeNull();
  });
});

function sortKeys(v: JsonValue): JsonValue {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(sortKeys);
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys(v[k]!)]));
}
