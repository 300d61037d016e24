/**
 * Typed values converted both ways, pure: JavaScript -> the contract's
 * Value -> the wire's bytes (protobuf binary, and proto3 JSON as Connect
 * JSON sends it) -> Value -> JavaScript, for every type and its edges, and
 * the classes' own rules (Timestamp, GeoPoint). The SDK's paths that use
 * these are in typed-wire.test.ts.
 */
import { create, fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import { createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ValueSchema } from "../src/gen/impossibledb/v1/document_pb.js";
import { DocumentReference, GeoPoint, ImpossibleDBClient, Timestamp, type TypedValue } from "../src/node.js";
import { compareValues } from "../src/listen-order.js";
import { decodeValue, encodeValue } from "../src/value-codec.js";
import { inspectValue } from "../src/values.js";

const db = new ImpossibleDBClient({ transport: createRouterTransport(() => {}) });
const decoders = {
  date: db.services.decoder,
  timestamp: new ImpossibleDBClient({ transport: createRouterTransport(() => {}), timestamps: "timestamp" }).services.decoder,
};

/** The value after a trip through the wire in `format`, decoded with Dates or Timestamps. */
function roundTrip(value: TypedValue, format: "binary" | "json", timestamps: "date" | "timestamp" = "date"): TypedValue {
  inspectValue("test", value); // what every SDK path does before it encodes
  const message = create(ValueSchema, encodeValue(value));
  const back = format === "binary" ? fromBinary(ValueSchema, toBinary(ValueSchema, message)) : fromJson(ValueSchema, JSON.parse(JSON.stringify(toJson(ValueSchema, message))));
  return decodeValue(back, decoders[timestamps]);
}

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

/** Values that come back equal (toEqual) from every trip. */
const EXACT: { what: string; value: TypedValue }[] = [
  { what: "null", value: null },
  { what: "true", value: true },
  { what: "a double", value: 0.1 },
  { what: "a whole double stays a number", value: 5 },
  { what: "-0.5", value: -0.5 },
  { what: "a string", value: "héllo 😀" },
  { what: "int64 max", value: INT64_MAX },
  { what: "-(int64 max)", value: -INT64_MAX },
  { what: "int64 min", value: INT64_MIN },
  { what: "2^53+1", value: 2n ** 53n + 1n },
  { what: "-(2^53+1)", value: -(2n ** 53n + 1n) },
  { what: "0n", value: 0n },
  { what: "a Date", value: new Date("2026-11-30T15:04:05.123Z") },
  { what: "a Date before 1970", value: new Date("1969-12-31T23:59:59.999Z") },
  { what: "a Date long before 1970", value: new Date("1066-10-14T09:00:00.001Z") },
  { what: "the first instant of year 1", value: new Date("0001-01-01T00:00:00.000Z") },
  { what: "the last millisecond of year 9999", value: new Date("9999-12-31T23:59:59.999Z") },
  { what: "empty bytes", value: new Uint8Array(0) },
  { what: "bytes", value: new Uint8Array([0, 1, 127, 128, 255]) },
  { what: "a geo point", value: new GeoPoint(48.8566, 2.3522) },
  { what: "a geo point at the edges", value: new GeoPoint(-90, 180) },
  { what: "an empty array", value: [] },
  { what: "an empty map", value: {} },
  { what: "nested arrays and maps of typed values", value: { a: [1n, [new Date(0), { b: new Uint8Array([9]) }], new GeoPoint(0, 0)], m: { n: { deep: -1n } } } },
];

describe("typed values round trip through the wire", () => {
  for (const format of ["binary", "json"] as const) {
    for (const { what, value } of EXACT) {
      it(`${what} (${format})`, () => {
        const back = roundTrip(value, format);
        expect(back).toEqual(value);
        // toEqual does not tell a bigint 5n from a number 5 in every position: check the types too.
        expect(JSON.stringify(back, typesOnly)).toBe(JSON.stringify(value, typesOnly));
      });
    }

    it(`a reference comes back as a DocumentReference of the reading client (${format})`, () => {
      const back = roundTrip(db.collection("users").doc("alice"), format);
      expect(back).toBeInstanceOf(DocumentReference);
      const ref = back as DocumentReference;
      expect([ref.collection.name, ref.id, ref.path]).toEqual(["users", "alice", "users/alice"]);
      expect(ref.isEqual(db.collection("users").doc("alice"))).toBe(true);
      expect(ref.isEqual(db.collection("users").doc("bob"))).toBe(false);
    });

    it(`timestamps keep their microseconds as Timestamps, before 1970 too (${format})`, () => {
      for (const t of [new Timestamp(1_764_515_045n, 123_456), new Timestamp(-1, 999_999), new Timestamp(-62_135_596_800, 0), new Timestamp(253_402_300_799, 999_999)]) {
        const back = roundTrip(t, format, "timestamp");
        expect(back).toBeInstanceOf(Timestamp);
        expect((back as Timestamp).isEqual(t)).toBe(true);
      }
    });

    it(`a Date read back from a timestamp with microseconds is rounded down to the millisecond (${format})`, () => {
      expect(roundTrip(new Timestamp(-1, 999_999), format)).toEqual(new Date("1969-12-31T23:59:59.999Z"));
      expect(roundTrip(new Timestamp(1, 1), format)).toEqual(new Date(1000));
    });
  }

  it("a number is always a double and a bigint always an integer on the wire", () => {
    expect(encodeValue(5).kind).toEqual({ case: "doubleValue", value: 5 });
    expect(encodeValue(5n).kind).toEqual({ case: "integerValue", value: 5n });
  });

  it("a Date and a Timestamp of the same instant encode alike", () => {
    expect(encodeValue(new Date(-1))).toEqual(encodeValue(new Timestamp(-1, 999_000)));
  });
});

describe("refusals", () => {
  it("a bigint outside int64 is a RangeError naming the field", () => {
    expect(() => inspectValue("users/a", { n: INT64_MAX + 1n })).toThrow(RangeError);
    expect(() => inspectValue("users/a", { n: INT64_MAX + 1n })).toThrow(/users\/a: field "n" is 9223372036854775808n, outside the 64-bit signed integers/);
    expect(() => inspectValue("users/a", [INT64_MIN - 1n])).toThrow(RangeError);
    expect(inspectValue("users/a", [INT64_MIN, INT64_MAX])).toBe(true);
  });

  it("an invalid Date is a TypeError; a Date outside years 1 to 9999 a RangeError", () => {
    expect(() => inspectValue("users/a", { at: new Date(NaN) })).toThrow(TypeError);
    expect(() => inspectValue("users/a", { at: new Date("+010000-01-01T00:00:00Z") })).toThrow(RangeError);
    expect(() => inspectValue("users/a", { at: new Date("0000-12-31T23:59:59.999Z") })).toThrow(/outside years 1 to 9999/);
  });

  it("GeoPoint refuses NaN, infinities and coordinates out of range", () => {
    for (const [lat, lng] of [
      [NaN, 0],
      [0, NaN],
      [Infinity, 0],
      [90.000001, 0],
      [-91, 0],
      [0, 180.5],
      [0, -181],
    ] as const) {
      expect(() => new GeoPoint(lat, lng), `${lat},${lng}`).toThrow(RangeError);
    }
    expect(() => new GeoPoint("1" as unknown as number, 0)).toThrow(/latitude must be a finite number/);
  });

  it("Timestamp refuses fractions of microseconds, microseconds out of range and instants outside years 1 to 9999", () => {
    expect(() => new Timestamp(0, 1_000_000)).toThrow(RangeError);
    expect(() => new Timestamp(0, -1)).toThrow(RangeError);
    expect(() => new Timestamp(0, 0.5)).toThrow(RangeError);
    expect(() => new Timestamp(1.5)).toThrow(RangeError);
    expect(() => new Timestamp(253_402_300_800n)).toThrow(/outside 0001-01-01T00:00:00Z \.\. 9999-12-31T23:59:59\.999999Z/);
    expect(() => new Timestamp(-62_135_596_801)).toThrow(RangeError);
    expect(() => Timestamp.fromDate(new Date(NaN))).toThrow(TypeError);
  });

  it("typed values at the top of an operand and inside arrays are reported as typed; JSON values are not", () => {
    expect(inspectValue("q", 1)).toBe(false);
    expect(inspectValue("q", [1, "a", { b: [null] }])).toBe(false);
    expect(inspectValue("q", [1, [{ b: [new Uint8Array(0)] }]])).toBe(true);
  });
});

describe("Timestamp", () => {
  it("converts to and from Dates, before 1970 too", () => {
    const t = Timestamp.fromDate(new Date("1969-12-31T23:59:59.999Z"));
    expect([t.seconds, t.microseconds]).toEqual([-1n, 999_000]);
    expect(t.toDate().toISOString()).toBe("1969-12-31T23:59:59.999Z");
    expect(Timestamp.fromDate(new Date("0001-01-01T00:00:00Z")).seconds).toBe(-62_135_596_800n);
  });

  it("writes the server's JSON form, six fractional digits in UTC", () => {
    expect(new Timestamp(-1, 999_999).toISOString()).toBe("1969-12-31T23:59:59.999999Z");
    expect(new Timestamp(-62_135_596_800n).toISOString()).toBe("0001-01-01T00:00:00.000000Z");
    expect(JSON.stringify({ at: new Timestamp(253_402_300_799, 1) })).toBe('{"at":"9999-12-31T23:59:59.000001Z"}');
  });

  it("counts microseconds exactly both ways", () => {
    for (const micros of [0n, -1n, 1n, -1_000_001n, 253_402_300_799_999_999n, -62_135_596_800_000_000n]) {
      expect(Timestamp.fromMicros(micros).toMicros()).toBe(micros);
    }
    expect(Timestamp.fromMicros(-1n)).toEqual(new Timestamp(-1, 999_999));
  });
});

describe("the server's order of typed values (listeners keep it)", () => {
  it("orders types as the contract says and numbers exactly across integers and doubles", () => {
    const ascending: TypedValue[] = [
      null,
      false,
      true,
      -(2n ** 63n),
      -1.5,
      2 ** 53,
      2n ** 53n + 1n,
      2 ** 60 + 0.0, // a double above the integer before it
      new Date(-1),
      new Timestamp(0, 1),
      new Date(1),
      "a",
      "b",
      new Uint8Array([]),
      new Uint8Array([0]),
      new Uint8Array([1]),
      db.collection("a").doc("z"),
      db.collection("b").doc("a"),
      new GeoPoint(-1, 5),
      new GeoPoint(0, -5),
      [],
      {},
    ];
    for (let i = 0; i < ascending.length; i++) {
      for (let j = 0; j < ascending.length; j++) {
        expect(Math.sign(compareValues(ascending[i], ascending[j])), `${i} vs ${j}`).toBe(Math.sign(i - j));
      }
    }
  });

  it("an integer and a double of the same value tie, as the server compares them as numbers", () => {
    expect(compareValues(5n, 5)).toBe(0);
    expect(compareValues(2n ** 53n, 2 ** 53)).toBe(0);
    expect(compareValues(5n, 5.5)).toBeLessThan(0);
    expect(compareValues(-5n, -5.5)).toBeGreaterThan(0);
  });
});

/** A JSON.stringify replacer that spells out each value's JavaScript type. */
function typesOnly(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === "bigint") return `bigint:${value}`;
  if (value instanceof Uint8Array) return `bytes:${[...value].join(",")}`;
  if (typeof value === "number") return `number:${value}`;
  return value;
}
