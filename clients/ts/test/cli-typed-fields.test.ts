/**
 * The CLI's `"fields"` records (typed-fields.ts): what export writes for a
 * document's typed form, and how import reads it back and hands it to the
 * SDK's writer, exactly, for every type; and the records import refuses,
 * with why.
 */
import { create, fromJson, type JsonObject } from "@bufbuild/protobuf";
import { createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { toRecord, type InputProblem, type InputRecord } from "../src/cli/input.js";
import { typedFieldsData, typedFieldsJson } from "../src/cli/typed-fields.js";
import { ValueSchema, WriteSchema, type Value } from "../src/gen/impossibledb/v1/document_pb.js";
import { createServices } from "../src/services.js";
import { setWrite } from "../src/writes.js";

const decoder = createServices(createRouterTransport(() => {}), undefined, { timestamps: "timestamp" }).decoder;

/** Every type, with the edges that lose most easily: int64 ends, 2^53+1, microseconds before 1970, empty bytes. */
const EVERY_TYPE_JSON = {
  max: { integerValue: "9223372036854775807" },
  min: { integerValue: "-9223372036854775808" },
  past53: { integerValue: "9007199254740993" },
  at: { timestampValue: "2026-11-30T15:04:05.123456Z" },
  before1970: { timestampValue: "1969-12-31T23:59:59.999999Z" },
  first: { timestampValue: "0001-01-01T00:00:00Z" },
  bytes: { bytesValue: "3q2+7w==" },
  empty: { bytesValue: "" },
  who: { referenceValue: { collection: "users", id: "alice" } },
  where: { geoPointValue: { latitude: -33.8688, longitude: 151.2093 } },
  half: { doubleValue: 0.5 },
  whole: { doubleValue: 5 },
  text: { stringValue: "ünï ✓" },
  yes: { booleanValue: true },
  nothing: { nullValue: null },
  list: { arrayValue: { values: [{ integerValue: "1" }, { doubleValue: 1 }, { arrayValue: {} }, { mapValue: {} }] } },
  nested: { mapValue: { fields: { deep: { mapValue: { fields: { ts: { timestampValue: "2000-02-29T12:00:00.000001Z" } } } } } } },
} as const;

/**
 * The JSON form of EVERY_TYPE_JSON: the `data` the server sends beside it,
 * and so export's `"data"` (docs/data-types.md, "Two forms of the same data").
 */
const EVERY_TYPE_DATA = {
  max: 2 ** 63,
  min: -(2 ** 63),
  past53: 2 ** 53,
  at: "2026-11-30T15:04:05.123456Z",
  before1970: "1969-12-31T23:59:59.999999Z",
  first: "0001-01-01T00:00:00.000000Z",
  bytes: "3q2+7w==",
  empty: "",
  who: "users/alice",
  where: { latitude: -33.8688, longitude: 151.2093 },
  half: 0.5,
  whole: 5,
  text: "ünï ✓",
  yes: true,
  nothing: null,
  list: [1, 1, [], {}],
  nested: { deep: { ts: "2000-02-29T12:00:00.000001Z" } },
} as const;

/** The wire fields a server would send for EVERY_TYPE_JSON. */
function wireFields(json: Record<string, unknown>): Record<string, Value> {
  return Object.fromEntries(Object.entries(json).map(([k, v]) => [k, fromJson(ValueSchema, v as never)]));
}

function record(line: number, value: unknown): InputRecord {
  const r = toRecord(line, value, decoder);
  if (r.kind !== "record") throw new Error(`expected a record, got: ${r.message}`);
  return r;
}

function problem(value: unknown): string {
  const r = toRecord(9, value, decoder);
  if (r.kind !== "problem") throw new Error("expected a problem");
  return (r as InputProblem).message;
}

/** The typed fields the SDK's writer sends for a record, in protobuf JSON (what the server receives). */
function sentFields(r: InputRecord): JsonObject {
  const write = create(WriteSchema, setWrite("import", "c", r.id, r.data));
  if (write.operation.case !== "setFields") throw new Error(`expected setFields, got ${write.operation.case}`);
  return typedFieldsJson(write.operation.value.fields);
}

describe("export's \"fields\"", () => {
  it("is the protobuf JSON of the typed form: int64 as text, timestamps as RFC 3339, bytes as base64", () => {
    const json = typedFieldsJson(wireFields({ n: { integerValue: "9007199254740993" }, at: { timestampValue: "2026-11-30T15:04:05.123456Z" } }));
    expect(JSON.stringify(json)).toBe('{"n":{"integerValue":"9007199254740993"},"at":{"timestampValue":"2026-11-30T15:04:05.123456Z"}}');
  });
});

describe("import of \"fields\" records", () => {
  it("sends every type exactly as export wrote it (an export line read back and written by the SDK's writer)", () => {
    const exported = JSON.stringify({ id: "d1", data: EVERY_TYPE_DATA, fields: typedFieldsJson(wireFields(EVERY_TYPE_JSON)) });
    const r = record(1, JSON.parse(exported));
    expect(sentFields(r)).toEqual(typedFieldsJson(wireFields(EVERY_TYPE_JSON)));
    expect(JSON.parse(exported).fields).toEqual(EVERY_TYPE_JSON);
  });

  it("writes \"fields\" when \"data\" is its JSON form (as export writes both), needs no \"data\", and sizes the record by its \"fields\"", () => {
    const fields = { n: { integerValue: "9007199254740993" } };
    // Key order does not matter, nor 0 against -0 (JSON prints both as 0).
    const r = record(2, { id: "d2", data: { n: 9007199254740992 }, fields });
    expect(r.data).toEqual({ n: 9007199254740993n });
    expect(r.jsonLength).toBe(JSON.stringify(fields).length);
    expect(record(3, { id: "d3", fields }).data).toEqual({ n: 9007199254740993n });
    expect(record(3, { id: "d3", data: { b: 1, a: 0 }, fields: { a: { doubleValue: -0 }, b: { integerValue: "1" } } }).data).toEqual({ a: -0, b: 1n });
  });

  it("refuses a record whose \"data\" and \"fields\" disagree, naming where (it used to write \"fields\" and drop the rest of \"data\" without a word)", () => {
    // The new user's record: an empty document was written, {"a": 1} lost.
    expect(problem({ id: "e3", fields: {}, data: { a: 1 } })).toMatch(/^"data" and "fields" disagree at "a": "data" has 1 and "fields" has no such member; give the document once, as "data" or as "fields"/);
    expect(problem({ id: "x", fields: { n: { integerValue: "7" } }, data: { n: 1 } })).toMatch(/disagree at "n": "data" has 1 and "fields" has 7 \(in JSON form\)/);
    expect(problem({ id: "x", fields: { n: { integerValue: "7" } }, data: {} })).toMatch(/disagree at "n": "data" has no such member and "fields" has 7/);
    expect(problem({ id: "x", fields: { t: { timestampValue: "2026-11-30T15:04:05Z" } }, data: { t: "2026-11-30T15:04:05Z" } })).toMatch(
      /disagree at "t": "data" has "2026-11-30T15:04:05Z" and "fields" has "2026-11-30T15:04:05.000000Z"/,
    );
    expect(problem({ id: "x", fields: { m: { mapValue: { fields: { l: { arrayValue: { values: [{ integerValue: "1" }] } } } } } }, data: { m: { l: [1, 2] } } })).toMatch(/disagree at "m"\["l"\]: /);
    expect(problem({ id: "x", fields: { g: { geoPointValue: { latitude: 1, longitude: 2 } } }, data: { g: { latitude: 1, longitude: 3 } } })).toMatch(/disagree at "g"\["longitude"\]: "data" has 3 and "fields" has 2/);
    expect(problem({ id: "x", fields: { n: { integerValue: "7" } }, data: null })).toMatch(/^"data" and "fields" disagree: "data" has null/);
    // A record's own problems in "fields" come first.
    expect(problem({ id: "x", fields: { n: 5 }, data: {} })).toMatch(/^"fields" member "n": cannot decode/);
  });

  it("sends a record whose \"fields\" hold JSON values only as plain data, as any JSON document", () => {
    const r = record(4, { id: "d4", fields: { s: { stringValue: "x" }, d: { doubleValue: 2 } } });
    const write = create(WriteSchema, setWrite("import", "c", r.id, r.data));
    expect(write.operation.case).toBe("set");
    expect(write.operation.value).toEqual({ s: "x", d: 2 });
    // An empty "fields" alone is an empty document, as {"id", "data": {}} is (docs/cli.md).
    const empty = record(5, { id: "d5", fields: {} });
    expect(empty.data).toEqual({});
    expect(create(WriteSchema, setWrite("import", "c", empty.id, empty.data)).operation).toMatchObject({ case: "set", value: {} });
    expect(record(5, { id: "d5", fields: {}, data: {} }).data).toEqual({});
  });

  it("keeps a field named __proto__ as a field", () => {
    const r = record(6, JSON.parse('{"id": "d6", "fields": {"__proto__": {"integerValue": "1"}}}'));
    expect(Object.keys(r.data)).toEqual(["__proto__"]);
    expect(sentFields(r)).toEqual(JSON.parse('{"__proto__": {"integerValue": "1"}}'));
  });

  it("refuses, naming the member and why, what is not protobuf JSON of typed values", () => {
    expect(problem({ id: "x", fields: [1] })).toMatch(/^"fields" must be an object of typed values/);
    expect(problem({ id: "x", fields: { n: 5 } })).toMatch(/^"fields" member "n": cannot decode message impossibledb\.v1\.Value from JSON: 5/);
    expect(problem({ id: "x", fields: { n: { intValue: "5" } } })).toMatch(/^"fields" member "n": .*key "intValue" is unknown/);
    expect(problem({ id: "x", fields: { n: { integerValue: "five" } } })).toMatch(/^"fields" member "n": .*integer_value/);
    expect(problem({ id: "x", fields: { n: { integerValue: "9223372036854775808" } } })).toMatch(/out of range/);
    expect(problem({ id: "x", fields: { b: { bytesValue: "!!" } } })).toMatch(/^"fields" member "b": .*invalid base64/);
    expect(problem({ id: "x", fields: { t: { timestampValue: "yesterday" } } })).toMatch(/^"fields" member "t": .*RFC 3339/);
    expect(problem({ id: "x", fields: { two: { integerValue: "1", stringValue: "1" } } })).toMatch(/oneof set multiple times/);
  });

  it("refuses what parsing accepts but could not be written exactly: no value, sub-microsecond timestamps, rounded int64 numbers, points off the globe", () => {
    expect(problem({ id: "x", fields: { e: {} } })).toMatch(/^"fields" member "e": a value needs one of nullValue, /);
    expect(problem({ id: "x", fields: { l: { arrayValue: { values: [{ nullValue: null }, { mapValue: { fields: { k: {} } } }] } } } })).toMatch(
      /^"fields" member "l", at \[1\]\["k"\]: a value needs one of/,
    );
    expect(problem({ id: "x", fields: { t: { timestampValue: "2026-11-30T15:04:05.123456789Z" } } })).toMatch(/"2026-11-30T15:04:05\.123456789Z" is finer than the microsecond/);
    // Nine digits that are whole microseconds are exact.
    expect(record(1, { id: "x", fields: { t: { timestampValue: "2026-11-30T15:04:05.123456000Z" } } }).data["t"]!.toString()).toBe("2026-11-30T15:04:05.123456Z");
    expect(problem(JSON.parse('{"id": "x", "fields": {"n": {"integerValue": 9007199254740993}}}'))).toMatch(/9007199254740992 is a JSON number past 2\^53.*write an int64 as a string/);
    expect(record(1, { id: "x", fields: { n: { integerValue: 42 } } }).data).toEqual({ n: 42n });
    // BigInt reads hex, octal, binary and leading zeros, which protobuf JSON does not write: "0x10" was imported as 16.
    for (const text of ["0x10", "01", "0o7", "0b1", "-01"]) {
      expect(problem({ id: "x", fields: { m: { mapValue: { fields: { n: { integerValue: text } } } } } }), text).toMatch(/^"fields" member "m", at \["n"\]: the integer ".*" is not a decimal integer/);
    }
    expect(record(1, { id: "x", fields: { n: { integerValue: "-16" }, z: { integerValue: "0" } } }).data).toEqual({ n: -16n, z: 0n });
    expect(problem({ id: "x", fields: { g: { geoPointValue: { latitude: 91, longitude: 0 } } } })).toMatch(/^"fields" member "g": GeoPoint: the latitude must be/);
    // Impossible dates, which protobuf-es's Date.parse would roll into the next month, are refused, not shifted.
    for (const at of ["2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-01-01T24:00:00Z"]) {
      expect(problem({ id: "x", fields: { t: { timestampValue: at } } }), at).toMatch(/is not a real date and time/);
    }
    expect(record(1, { id: "x", fields: { t: { timestampValue: "2024-02-29T23:59:59+01:00" } } }).data["t"]!.toString()).toBe("2024-02-29T22:59:59.000000Z");
  });

  it("refuses references the server would refuse, naming them, before anything is written", () => {
    expect(problem({ id: "x", fields: { r: { referenceValue: { collection: "bad name", id: "a" } } } })).toMatch(
      /^"fields" member "r": the reference "bad name\/a" is not valid: collection name "bad name" must be a letter/,
    );
    expect(problem({ id: "x", fields: { r: { referenceValue: { collection: "__system", id: "a" } } } })).toMatch(/is reserved/);
    expect(problem({ id: "x", fields: { r: { arrayValue: { values: [{ referenceValue: { collection: "users", id: ".hidden" } }] } } } })).toMatch(
      /^"fields" member "r", at \[0\]: the reference "users\/.hidden" is not valid: document id ".hidden" may hold only/,
    );
    expect(problem({ id: "x", fields: { r: { referenceValue: { collection: "users" } } } })).toMatch(/the document id is empty/);
  });

  it("refuses lone surrogates in strings, and leaves NaN to the SDK writer's check of every value, which the first pass runs", () => {
    expect(problem(JSON.parse('{"id": "x", "fields": {"s": {"stringValue": "\\ud83d"}}}'))).toMatch(/^"fields" member "s": .*invalid UTF8/);
    const nan = record(1, { id: "x", fields: { d: { doubleValue: "NaN" }, n: { integerValue: "1" } } });
    expect(() => setWrite("import", "c", nan.id, nan.data)).toThrow(/field "d" is NaN/);
  });

  it("needs a decoder that keeps microseconds", () => {
    const dates = createServices(createRouterTransport(() => {})).decoder;
    expect(() => typedFieldsData({}, dates)).toThrow(/timestamps as Timestamps/);
  });
});
