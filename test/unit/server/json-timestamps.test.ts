/** The JSON guard against values protobuf-es would misread: impossible timestamps, integers in text that is not decimal, rounded int64s (src/server/json-timestamps.ts). */
import { describe, expect, it } from "vitest";
import { ListDocumentsRequestSchema, SetDocumentRequestSchema } from "../../../gen/impossibledb/v1/collection_service_pb.js";
import { RunQueryRequestSchema } from "../../../gen/impossibledb/v1/query_service_pb.js";
import { impossibleDateTime, inexactInt32, inexactInt64, jsonNumberLiterals, jsonRequestProblem } from "../../../src/server/json-timestamps.js";
import { CommitBatchRequestSchema } from "../../../gen/impossibledb/v1/transaction_service_pb.js";

describe("impossible timestamps in JSON requests", () => {
  it("knows real dates and times from ones Date.parse would roll over", () => {
    for (const ok of ["2024-02-29T00:00:00Z", "2026-12-31T23:59:59.999999999Z", "0001-01-01T00:00:00Z", "2026-11-30T15:04:05+14:00", "not a date"]) expect(impossibleDateTime(ok), ok).toBeUndefined();
    for (const bad of ["2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T23:60:00Z", "2026-11-30T23:59:60Z", "2026-11-30T00:00:00+24:00"]) {
      expect(impossibleDateTime(bad), bad).toMatch(/not a real date and time/);
    }
  });

  it("finds them at any depth of typed values, by the method's descriptor", () => {
    const deep = { ref: { collection: "c", id: "d" }, fields: { m: { mapValue: { fields: { list: { arrayValue: { values: [{ stringValue: "2026-02-30T00:00:00Z" }, { timestampValue: "2026-02-30T00:00:00Z" }] } } } } } } };
    expect(jsonRequestProblem(SetDocumentRequestSchema, deep)).toBe('fields.m.map_value.fields.list.array_value.values[1].timestamp_value: "2026-02-30T00:00:00Z" is not a real date and time');
    // A string that merely looks like a date is a string, and Struct data is not a Timestamp.
    expect(jsonRequestProblem(SetDocumentRequestSchema, { data: { at: "2026-02-30T00:00:00Z" }, fields: { s: { stringValue: "2026-02-30T00:00:00Z" } } })).toBeUndefined();
  });
});

describe("int64s in JSON requests", () => {
  it("takes decimal text and safe whole numbers, and refuses what BigInt or JSON parsing would change", () => {
    for (const ok of ["0", "-0", "16", "-9223372036854775808", "9223372036854775807", "9007199254740993", 0, -5, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 1.5]) expect(inexactInt64(ok), String(ok)).toBeUndefined();
    for (const bad of ["0x10", "01", "-01", "00", "0b1", "0o7", "1e3", "+1", " 1", "1 ", "1_000", ""]) expect(inexactInt64(bad), bad).toMatch(/is not a decimal integer/);
    for (const bad of [2 ** 53, -(2 ** 53), 9007199254740993, 9223372036854775807, 1e300]) expect(inexactInt64(bad), String(bad)).toMatch(/beyond 2\^53 - 1/);
  });

  it("finds them in typed values, preconditions and batches, by the method's descriptor, and leaves Struct data alone", () => {
    const deep = { ref: { collection: "c", id: "d" }, fields: { m: { mapValue: { fields: { list: { arrayValue: { values: [{ integerValue: "1" }, { integerValue: "0x10" }] } } } } } } };
    expect(jsonRequestProblem(SetDocumentRequestSchema, deep)).toMatch(/^fields\.m\.map_value\.fields\.list\.array_value\.values\[1\]\.integer_value: "0x10" is not a decimal integer/);
    expect(jsonRequestProblem(SetDocumentRequestSchema, { ref: { collection: "c", id: "d" }, data: {}, precondition: { version: 9007199254740992 } })).toMatch(/^precondition\.version: 9007199254740992 is a JSON number beyond/);
    const batch = { writes: [{ ref: { collection: "c", id: "d" }, setFields: { fields: { n: { integerValue: "1" } } } }, { ref: { collection: "c", id: "e" }, setFields: { fields: { n: { integerValue: "01" } } } }] };
    expect(jsonRequestProblem(CommitBatchRequestSchema, batch)).toMatch(/^writes\[1\]\.set_fields\.fields\.n\.integer_value: "01"/);
    // Struct data holds JSON numbers (doubles), whose keys are the user's: nothing there is an int64.
    expect(jsonRequestProblem(SetDocumentRequestSchema, { ref: { collection: "c", id: "d" }, data: { version: "0x1", fields: { n: { integerValue: "0x1" } } } })).toBeUndefined();
  });
});

describe("32-bit integers and rounded numbers in JSON requests", () => {
  it("refuses text that is not decimal in every int32 of the contract, naming the field, as it does for int64s", () => {
    for (const bad of ["0x10", "01", "1e1", "0b11", "0o7", "+1", " 1", "1.0", ""]) {
      expect(jsonRequestProblem(RunQueryRequestSchema, { query: { collection: "x", limit: bad } }), bad).toMatch(/^query\.limit: .* is not a decimal integer; protobuf JSON writes an integer as decimal digits/);
      expect(inexactInt32(bad), bad).toMatch(/is not a decimal integer/);
    }
    expect(jsonRequestProblem(ListDocumentsRequestSchema, { collection: "x", pageSize: "0x3" })).toMatch(/^page_size: "0x3" is not a decimal integer/);
    for (const ok of ["16", "0", "-3", 16, 1e1]) expect(jsonRequestProblem(RunQueryRequestSchema, { query: { collection: "x", limit: ok } }), String(ok)).toBeUndefined();
  });

  it("names an unquoted int64 past 2^53 as the client sent it, not as JSON parsing rounded it", () => {
    const text = '{"ref":{"collection":"c","id":"d"},"data":{"s":"9007199254740995"},"precondition":{"version":9007199254740993}}';
    expect(jsonRequestProblem(SetDocumentRequestSchema, JSON.parse(text), text)).toMatch(/^precondition\.version: 9007199254740993 is a JSON number beyond 2\^53 - 1, which JSON cannot carry exactly \(JSON parsing rounded it to 9007199254740992\); send/);
    const exact = '{"precondition":{"version":9007199254740992}}';
    expect(jsonRequestProblem(SetDocumentRequestSchema, JSON.parse(exact), exact)).toMatch(/^precondition\.version: 9007199254740992 is a JSON number beyond 2\^53 - 1, which JSON cannot carry exactly; send/);
    // Two literals that read the same: which one is which cannot be told, so the message says the value was read rounded.
    const two = '{"precondition":{"version":9007199254740993},"x":9007199254740992.5}';
    expect(jsonRequestProblem(SetDocumentRequestSchema, JSON.parse(two), two)).toMatch(/9007199254740992 is a JSON number beyond 2\^53 - 1 as read \(what was sent may have been rounded to it\)/);
    expect(jsonNumberLiterals('{"a":"1\\"2 3","b":-4.5e6,"c":[7,08]}')).toEqual(["-4.5e6", "7", "08"]);
  });
});

describe("numbers too large for a double in JSON requests", () => {
  it("refuses 1e400 in document data, typed doubles and query operands in the filter's words, naming the field path (it was \"Infinity; numbers must be finite\", or protobuf's words)", () => {
    const set = (text: string) => jsonRequestProblem(SetDocumentRequestSchema, JSON.parse(text), text);
    const tooLarge = (literal: string) => `number ${literal} is out of range: it is too large for a double (the largest is about 1.8e308)`;
    expect(set('{"ref":{"collection":"c","id":"d"},"data":{"a":1e400}}')).toBe(`data.a: ${tooLarge("1e400")}`);
    expect(set('{"data":{"m":{"list":[1,-2E+308]},"ok":1.7e308}}')).toBe(`data.m.list[1]: ${tooLarge("-2E+308")}`);
    expect(set('{"data":{"odd key":{"x":1e999}}}')).toBe(`data["odd key"].x: ${tooLarge("1e999")}`);
    // Two literals that both read as Infinity: which is which cannot be told from the text, so neither is named.
    expect(set('{"data":{"a":1e400,"b":[2e400]}}')).toBe("data.a: number is out of range: it is too large for a double (the largest is about 1.8e308)");
    expect(set('{"fields":{"v":{"doubleValue":1e400}}}')).toBe(`fields.v.double_value: ${tooLarge("1e400")}`);
    expect(set('{"fields":{"v":{"doubleValue":"1e400"}}}')).toBe(`fields.v.double_value: "1e400": ${tooLarge("1e400")}`);
    expect(set('{"fields":{"v":{"mapValue":{"fields":{"w":{"doubleValue":-1e309}}}}}}')).toBe(`fields.v.map_value.fields.w.double_value: ${tooLarge("-1e309")}`);
    const query = '{"query":{"collection":"c","where":{"fieldFilter":{"field":"a","op":"EQUAL","value":9e999}}}}';
    expect(jsonRequestProblem(RunQueryRequestSchema, JSON.parse(query), query)).toBe(`query.where.field_filter.value: ${tooLarge("9e999")}`);
    // The largest double, and NaN or Infinity written as protobuf JSON's strings (document validation's to refuse by name), pass here.
    for (const ok of ['{"data":{"a":1.7976931348623157e308}}', '{"fields":{"v":{"doubleValue":"Infinity"}}}']) expect(set(ok), ok).toBeUndefined();
  });
});

describe("subnormal literals a double does not spell, in documents as in filters", () => {
  it("refuses 3e-324 (stored as 5e-324, while a filter refused it) in the filter's words, and keeps the subnormals a literal spells", () => {
    const set = (text: string) => jsonRequestProblem(SetDocumentRequestSchema, JSON.parse(text), text);
    expect(set('{"data":{"a":3e-324}}')).toBe("number 3e-324 is out of range: it is too small for a double to hold as written (it would read as 5e-324)");
    expect(set('{"data":{"a":1.23456789e-320}}')).toMatch(/^number 1\.23456789e-320 is out of range: .*\(it would read as 1\.2347e-320\)$/);
    expect(set('{"fields":{"v":{"doubleValue":"3e-324"}}}')).toMatch(/^fields\.v\.double_value: "3e-324": number 3e-324 is out of range/);
    for (const ok of ["5e-324", "4.9406564584124654e-324", "1e-320", "-1e-310", "2.2250738585072014e-308", "0.1"]) expect(set(`{"data":{"a":${ok}}}`), ok).toBeUndefined();
  });
});

describe("numbers too small for a double in JSON requests", () => {
  it("refuses a nonzero literal that reads as 0, in document data and filters alike, and keeps zeros and subnormals", () => {
    const set = (text: string) => jsonRequestProblem(SetDocumentRequestSchema, JSON.parse(text), text);
    expect(set('{"ref":{"collection":"c","id":"d"},"data":{"a":1e-400}}')).toBe("number 1e-400 is out of range: it is too small for a double and would read as 0 (the least positive double is about 5e-324)");
    expect(set('{"ref":{"collection":"c","id":"d"},"data":{"m":{"list":[0,-2.5e-330]}}}')).toMatch(/^number -2.5e-330 is out of range/);
    for (const ok of ['{"data":{"a":0,"b":-0,"c":0.0,"d":0e-400,"e":5e-324,"f":1e-320,"g":"1e-400"}}']) expect(set(ok), ok).toBeUndefined();
    // Protobuf JSON may write a double as a string: a typed doubleValue "1e-400" was stored as 0.
    expect(set('{"ref":{"collection":"c","id":"d"},"fields":{"v":{"doubleValue":"1e-400"}}}')).toBe(
      'fields.v.double_value: "1e-400": number 1e-400 is out of range: it is too small for a double and would read as 0 (the least positive double is about 5e-324)',
    );
    expect(set('{"ref":{"collection":"c","id":"d"},"fields":{"v":{"doubleValue":"-1e-324"}}}')).toMatch(/^fields\.v\.double_value: "-1e-324": number -1e-324 is out of range/);
    for (const ok of ['"0e-400"', '"5e-324"', '"1.5"', '"NaN"']) expect(set(`{"fields":{"v":{"doubleValue":${ok}}}}`), ok).toBeUndefined();
    const query = '{"query":{"collection":"c","where":{"fieldFilter":{"field":"a","op":"EQUAL","value":{"doubleValue":1e-999}}}}}';
    expect(jsonRequestProblem(RunQueryRequestSchema, JSON.parse(query), query)).toMatch(/^number 1e-999 is out of range/);
  });
});
