/** The TypeScript SDK's FieldValue: how data with FieldValues becomes data plus wire transforms. */
import { describe, expect, it } from "vitest";
import { FieldValue, maskWithoutTransforms, splitFieldValues } from "../../../clients/ts/src/field-value.js";
import { updateWrite } from "../../../clients/ts/src/writes.js";

describe("splitFieldValues", () => {
  it("takes FieldValues out of the data as transforms, in field order, leaving the input alone", () => {
    const input = { name: "x", n: FieldValue.increment(2), stats: { views: FieldValue.maximum(5), keep: 1 }, tags: FieldValue.arrayUnion("a", "b") };
    const { data, transforms } = splitFieldValues(input);
    expect(data).toEqual({ name: "x", stats: { keep: 1 } });
    expect(transforms.map((t) => [t.fieldPath, t.transformType?.case])).toEqual([
      ["n", "increment"],
      ["stats.views", "maximum"],
      ["tags", "appendMissingElements"],
    ]);
    expect(input.stats.views).toBeInstanceOf(FieldValue);
  });

  it("leaves out maps that held only FieldValues, keeps maps that were empty, and quotes names a path cannot spell bare", () => {
    const { data, transforms } = splitFieldValues({ s: { a: FieldValue.serverTimestamp() }, e: {}, "first name": { "x.y": FieldValue.minimum(1) } });
    expect(data).toEqual({ e: {} });
    expect(transforms.map((t) => t.fieldPath)).toEqual(["s.a", "`first name`.`x.y`"]);
  });

  it("passes data without FieldValues through unchanged", () => {
    const input = { a: { b: [1, 2] } };
    expect(splitFieldValues(input).data).toBe(input);
  });

  it("refuses non-finite numbers and FieldValues inside arrays, naming where", () => {
    expect(() => FieldValue.increment(Number.NaN)).toThrow(/finite/);
    expect(() => FieldValue.maximum(Infinity)).toThrow(/finite/);
    expect(() => updateWrite("update", "c", "d", { list: [FieldValue.increment(1)] })).toThrow(/c\/d: field "list\[0\]" is a FieldValue/);
    // A Date is a timestamp now (typed values); a Map is still no value a document can hold.
    expect(() => FieldValue.arrayUnion(new Map() as never)).toThrow(/Map/);
  });

  it("drops from an update's mask the paths its FieldValues stand at", () => {
    const w = updateWrite("update", "c", "d", { n: FieldValue.increment(1), m: 2 }, { mask: ["n", "m"] });
    expect(w.operation).toEqual({ case: "update", value: { data: { m: 2 }, updateMask: { fieldPaths: ["m"] } } });
    expect(maskWithoutTransforms(undefined, w.transforms!)).toBeUndefined();
  });
});
