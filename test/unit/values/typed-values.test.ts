/**
 * Typed values inside ImpossibleDB (src/values): the wire's typed Value to
 * the stored tagged JSON and back, the JSON form `data` shows, the order
 * keys SQL compares (order-preserving and injective, checked against exact
 * arithmetic), and the refusals of what cannot be stored exactly.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ValueSchema, type Value } from "../../../gen/impossibledb/v1/document_pb.js";
import { numberKey } from "../../../src/query/number-key.js";
import { compareValues, valuesEqual, canonicalJson } from "../../../src/query/values.js";
import { encodeDocumentData } from "../../../src/validation/document-data.js";
import { jsonForm } from "../../../src/values/json-form.js";
import { integerKey, sortableBase64 } from "../../../src/values/order-key.js";
import { jsonFromTyped, jsonFromTypedFields, typedFromJson } from "../../../src/values/proto-typed.js";
import { TIMESTAMP_MICROS_MAX, TIMESTAMP_MICROS_MIN, timestampText } from "../../../src/values/timestamp.js";
import { integerLeaf } from "../../../src/values/typed.js";
import { DOCUMENT_DEPTH_MAX } from "../../../src/limits.js";

type KindInit = NonNullable<MessageInitShape<typeof ValueSchema>["kind"]>;
const v = (kind: KindInit | { case: undefined }) => create(ValueSchema, { kind } as MessageInitShape<typeof ValueSchema>);
const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Exact comparison of an int64 and a finite double, by BigInt arithmetic. */
function exactCompare(i: bigint, d: number): number {
  const floor = BigInt(Math.floor(d));
  if (i !== floor) return i < floor ? -1 : 1;
  return Number.isInteger(d) ? 0 : -1;
}

describe("typed values round trip", () => {
  it("keeps every type exactly: wire -> stored JSON -> wire", () => {
    const values: Value[] = [
      v({ case: "nullValue", value: 0 }),
      v({ case: "booleanValue", value: true }),
      ...[0n, 1n, -1n, INT64_MAX, INT64_MIN, 2n ** 53n + 1n, -(2n ** 53n) - 1n].map((n) => v({ case: "integerValue", value: n })),
      v({ case: "doubleValue", value: 0.1 }),
      v({ case: "doubleValue", value: 2 ** 53 }),
      v({ case: "timestampValue", value: { seconds: -62135596800n, nanos: 0 } }),
      v({ case: "timestampValue", value: { seconds: 253402300799n, nanos: 999_999_000 } }),
      v({ case: "timestampValue", value: { seconds: -1n, nanos: 1000 } }),
      v({ case: "stringValue", value: "é😀" }),
      v({ case: "bytesValue", value: new Uint8Array() }),
      v({ case: "bytesValue", value: new Uint8Array([0, 255, 1, 2]) }),
      v({ case: "referenceValue", value: { collection: "users", id: "a-1" } }),
      v({ case: "geoPointValue", value: { latitude: -90, longitude: 180 } }),
      v({ case: "arrayValue", value: { values: [v({ case: "integerValue", value: 7n }), v({ case: "arrayValue", value: { values: [] } })] } }),
      v({ case: "mapValue", value: { fields: { __proto__x: v({ case: "integerValue", value: 3n }), t: v({ case: "timestampValue", value: { seconds: 0n, nanos: 0 } }) } } }),
    ];
    for (const value of values) {
      const stored = JSON.parse(JSON.stringify(jsonFromTyped(value, "value")));
      const back = typedFromJson(stored);
      expect(back.kind.case, JSON.stringify(stored)).toBe(value.kind.case);
      expect(back.kind.value).toEqual(value.kind.value);
    }
  });

  it("shows typed values in `data` in their documented JSON form", () => {
    const data = jsonFromTypedFields(
      {
        n: v({ case: "integerValue", value: 2n ** 53n + 1n }),
        t: v({ case: "timestampValue", value: { seconds: 1n, nanos: 5000 } }),
        b: v({ case: "bytesValue", value: new Uint8Array([104, 105]) }),
        r: v({ case: "referenceValue", value: { collection: "c", id: "x" } }),
        g: v({ case: "geoPointValue", value: { latitude: 1.5, longitude: -2 } }),
        plain: v({ case: "arrayValue", value: { values: [v({ case: "doubleValue", value: 1 })] } }),
      },
      "fields",
    );
    expect(jsonForm(data)).toEqual({
      n: 9007199254740992, // the nearest double
      t: "1970-01-01T00:00:01.000005Z",
      b: "aGk=",
      r: "c/x",
      g: { latitude: 1.5, longitude: -2 },
      plain: [1],
    });
    // Nothing typed: the very same object comes back (no copy on the read path).
    const untyped = { a: [1, { b: "x" }] };
    expect(jsonForm(untyped)).toBe(untyped);
  });

  it("refuses what it cannot store exactly, naming the field", () => {
    const bad: Array<[Value, RegExp]> = [
      [v({ case: "doubleValue", value: Number.NaN }), /doubles must be finite/],
      [v({ case: "timestampValue", value: { seconds: 0n, nanos: 1 } }), /to the microsecond/],
      [v({ case: "timestampValue", value: { seconds: -62135596801n, nanos: 0 } }), /outside 0001-01-01/],
      [v({ case: "timestampValue", value: { seconds: 253402300800n, nanos: 0 } }), /outside 0001-01-01/],
      [v({ case: "referenceValue", value: { collection: "9bad", id: "x" } }), /not a valid reference/],
      [v({ case: "geoPointValue", value: { latitude: 91, longitude: 0 } }), /latitude is 91/],
      [v({ case: "geoPointValue", value: { latitude: 0, longitude: Number.NaN } }), /longitude is NaN/],
      [v({ case: undefined }), /has no value set/],
    ];
    for (const [value, message] of bad) expect(() => jsonFromTyped(value, "fields.x")).toThrow(message);
    // A user's map cannot pass for a typed value: names with control characters are refused.
    expect(() => jsonFromTypedFields({ m: v({ case: "mapValue", value: { fields: { "\u0001int": v({ case: "stringValue", value: "5" }) } } }) }, "fields")).toThrow(/control character/);
    // Nor can the Struct form carry one: a tag is a control character there too.
    const spoof = encodeDocumentData({ n: { "\u0001int": "5" } }, { typed: false });
    expect(spoof.ok).toBe(false);
    // Malformed tags are refused even where tags are allowed.
    expect(encodeDocumentData({ n: { "\u0001int": "9223372036854775808" } }).ok).toBe(false);
    expect(encodeDocumentData({ n: { "\u0001ts": "2021-02-30T00:00:00.000000Z" } }).ok).toBe(false);
    expect(encodeDocumentData({ n: { "\u0001int": "5" } }).ok).toBe(true);
  });
});

describe("order keys", () => {
  it("orders integers and doubles together exactly, with equal values sharing a key", () => {
    const int = fc.oneof(fc.bigInt({ min: INT64_MIN, max: INT64_MAX }), fc.constantFrom(INT64_MIN, INT64_MAX, 2n ** 53n + 1n, 2n ** 63n - 1024n, 2n ** 63n - 1025n));
    const dbl = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(2 ** 53, 2 ** 63, -(2 ** 63), 2 ** 63 - 1024, 0.5));
    fc.assert(
      fc.property(int, dbl, (i, d) => {
        const c = exactCompare(i, d);
        const k = integerKey(i) < numberKey(d) ? -1 : integerKey(i) > numberKey(d) ? 1 : 0;
        expect(k).toBe(c);
        expect(Math.sign(compareValues(integerLeaf(i), d))).toBe(c);
        expect(valuesEqual(integerLeaf(i), d)).toBe(c === 0);
        if (c === 0) expect(canonicalJson(integerLeaf(i))).toBe(canonicalJson(d));
        else expect(canonicalJson(integerLeaf(i))).not.toBe(canonicalJson(d));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(int, int, (a, b) => {
        expect(Math.sign(compareValues(integerLeaf(a), integerLeaf(b)))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
  });

  it("orders bytes as bytes, shorter prefixes first", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 7 }), fc.uint8Array({ maxLength: 7 }), (a, b) => {
        let c = 0;
        for (let i = 0; i < Math.min(a.length, b.length) && c === 0; i++) c = a[i]! - b[i]!;
        if (c === 0) c = a.length - b.length;
        const ka = sortableBase64(a);
        const kb = sortableBase64(b);
        expect(ka < kb ? -1 : ka > kb ? 1 : 0).toBe(Math.sign(c));
      }),
      { numRuns: 3000 },
    );
  });

  it("orders timestamps by instant across the whole range", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: TIMESTAMP_MICROS_MIN, max: TIMESTAMP_MICROS_MAX }), fc.bigInt({ min: TIMESTAMP_MICROS_MIN, max: TIMESTAMP_MICROS_MAX }), (a, b) => {
        const ta = timestampText(a);
        const tb = timestampText(b);
        expect(ta < tb ? -1 : ta > tb ? 1 : 0).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
      { numRuns: 2000 },
    );
  });

  it("puts the types in Firestore's order", () => {
    const one = (kind: KindInit) => jsonFromTyped(v(kind), "x");
    const ordered = [
      one({ case: "nullValue", value: 0 }),
      one({ case: "booleanValue", value: true }),
      one({ case: "integerValue", value: INT64_MAX }),
      one({ case: "timestampValue", value: { seconds: -62135596800n, nanos: 0 } }),
      "",
      one({ case: "bytesValue", value: new Uint8Array() }),
      one({ case: "referenceValue", value: { collection: "a", id: "a" } }),
      one({ case: "geoPointValue", value: { latitude: -90, longitude: -180 } }),
      [],
      {},
    ];
    for (let i = 1; i < ordered.length; i++) expect(compareValues(ordered[i - 1], ordered[i]), `${i}`).toBeLessThan(0);
  });
});

describe("nesting depth of the typed form", () => {
  /** A tree of maps and arrays (the shape: true is a map, false an array) around a leaf, in both forms. */
  function both(shape: readonly boolean[], leaf: Value, leafJson: unknown): { typed: { [k: string]: Value }; json: Record<string, unknown> } {
    let typed = leaf;
    let json = leafJson;
    for (const isMap of [...shape].reverse()) {
      typed = isMap ? v({ case: "mapValue", value: { fields: { k: typed } } }) : v({ case: "arrayValue", value: { values: [typed] } });
      json = isMap ? { k: json } : [json];
    }
    return { typed: { f: typed }, json: { f: json } };
  }
  const accepts = (fn: () => unknown): boolean => {
    try {
      fn();
      return true;
    } catch (err) {
      expect(String(err)).toMatch(/nests deeper than DOCUMENT_DEPTH_MAX \(20\)/);
      return false;
    }
  };

  it("counts one level per map or array, as a document's JSON form does: DOCUMENT_DEPTH_MAX - 1 fit under a field", () => {
    const maps = (n: number) => both(Array<boolean>(n).fill(true), v({ case: "integerValue", value: 1n }), 1).typed;
    expect(accepts(() => jsonFromTypedFields(maps(DOCUMENT_DEPTH_MAX - 1), "fields"))).toBe(true);
    expect(() => jsonFromTypedFields(maps(DOCUMENT_DEPTH_MAX), "fields")).toThrow(`fields.f${".k".repeat(DOCUMENT_DEPTH_MAX - 1)} nests deeper than DOCUMENT_DEPTH_MAX (20)`);
  });

  it("refuses exactly the trees the JSON form refuses, for any mix of maps and arrays (property)", () => {
    // Every length up to just past the limit, not fast-check's small default sizes.
    const shapes = fc.integer({ min: 0, max: DOCUMENT_DEPTH_MAX + 1 }).chain((n) => fc.array(fc.boolean(), { minLength: n, maxLength: n }));
    fc.assert(
      fc.property(shapes, fc.boolean(), (shape, scalarLeaf) => {
        // The leaf: a scalar, or an empty map (a level of its own in both forms).
        const { typed, json } = scalarLeaf ? both(shape, v({ case: "stringValue", value: "s" }), "s") : both(shape, v({ case: "mapValue", value: { fields: {} } }), {});
        const typedOk = accepts(() => jsonFromTypedFields(typed, "fields"));
        const jsonOk = encodeDocumentData(json as never, { typed: false }).ok;
        expect(typedOk).toBe(jsonOk);
      }),
    );
  });
});
