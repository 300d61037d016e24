import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JSON_DEPTH_MAX, jsonErrorOffset } from "../../../console/src/json-error.js";
import { documentText, parseDocumentText, parseTypedFieldsText, resultText, typedFieldsText } from "../../../console/src/json-text.js";
import { create } from "@bufbuild/protobuf";
import { DocumentSchema, ValueSchema } from "../../../gen/impossibledb/v1/document_pb.js";

describe("the console's JSON editor text", () => {
  it("reads a JSON object as the document body", () => {
    expect(parseDocumentText('{"name": "Ada", "tags": ["a", 1, true, null], "n": -1.5e3}')).toEqual({
      ok: true,
      data: { name: "Ada", tags: ["a", 1, true, null], n: -1500 },
    });
  });

  it("names the line and column of a syntax error", () => {
    const result = parseDocumentText('{\n  "name": "Ada",\n  "age": }');
    expect(result.ok).toBe(false);
    expect(!result.ok && result.message).toMatch(/^invalid JSON at line 3 column 10: /);
  });

  it("refuses an integer beyond 2^53 that no double spells instead of rounding it, and keeps one within", () => {
    expect(parseDocumentText('{"id": 12345678901234567891}')).toEqual({
      ok: false,
      message:
        "at line 1 column 8, the integer 12345678901234567891 is beyond ±2^53 and is not a double: numbers are stored as doubles, and it would be stored as 12345678901234567168; quote it to store it as a string",
    });
    expect(parseDocumentText('{\n  "id": 175928847299117063\n}')).toMatchObject({ ok: false, message: expect.stringMatching(/^at line 2 column 9, the integer 175928847299117063 .* 175928847299117056;/) });
    expect(parseDocumentText('{"id": 9007199254740991, "big": 1.5e300, "s": "175928847299117063"}')).toEqual({ ok: true, data: { id: 9007199254740991, big: 1.5e300, s: "175928847299117063" } });
  });

  it("saves back a document it shows whose doubles are whole past 2^53 (Save was disabled for {\"n\": 1e18})", () => {
    const read = { n: 1e18, id: 175928847299117056, neg: -(2 ** 63), list: [2 ** 53, 2 ** 64], nested: { d: 1e17 } };
    const shown = documentText(read);
    expect(shown).toContain('"n": 1000000000000000000');
    expect(shown).toContain('"id": 175928847299117060');
    expect(parseDocumentText(shown)).toEqual({ ok: true, data: read });
  });

  it("saves back typed fields holding such a double, and refuses a typed literal no double spells", () => {
    const fields = { d: create(ValueSchema, { kind: { case: "doubleValue", value: 175928847299117056 } }), i: create(ValueSchema, { kind: { case: "integerValue", value: 2n ** 53n + 1n } }) };
    const parsed = parseTypedFieldsText(typedFieldsText(fields));
    expect(parsed.ok && parsed.fields["d"]?.kind).toEqual({ case: "doubleValue", value: 175928847299117056 });
    expect(parsed.ok && parsed.fields["i"]?.kind).toEqual({ case: "integerValue", value: 2n ** 53n + 1n });
    expect(parseTypedFieldsText('{"i": {"integerValue": 9007199254740993}}')).toMatchObject({ ok: false, message: expect.stringMatching(/the integer 9007199254740993 .*"integerValue": "…"/) });
  });

  it("refuses a number no double holds as written (1e400, 1e-400, 3e-324), as the CLI and the server do, instead of sending Infinity, 0 or 5e-324", () => {
    expect(parseDocumentText('{"a": 1e400}')).toEqual({ ok: false, message: "1e400 is a number beyond what a double holds (about 1.8e308); quote it to store it as a string" });
    expect(parseDocumentText('{"a": [1, -1e-400]}')).toEqual({ ok: false, message: "-1e-400 is a number too small for a double (the least is about 5e-324): it would be stored as 0; quote it to store it as a string" });
    expect(parseDocumentText('{"a": 3e-324}')).toEqual({ ok: false, message: "3e-324 is a number too small for a double to hold as written: it would be stored as 5e-324; quote it to store it as a string" });
    expect(parseTypedFieldsText('{"d": {"doubleValue": 1e400}}')).toEqual({ ok: false, message: "1e400 is a number beyond what a double holds (about 1.8e308)" });
    expect(parseDocumentText('{"a": 5e-324, "b": 1e-320, "c": "1e400", "d": 0e-400}')).toMatchObject({ ok: true });
  });

  it("refuses JSON that is not an object", () => {
    for (const text of ["[1]", '"x"', "3", "null"]) expect(parseDocumentText(text)).toMatchObject({ ok: false, message: expect.stringMatching(/JSON object/) });
  });

  it("finds an error exactly when JSON.parse throws (any JSON, and JSON cut short or with a character changed)", () => {
    const agrees = (text: string) => {
      let parses = true;
      try {
        JSON.parse(text);
      } catch {
        parses = false;
      }
      expect(jsonErrorOffset(text) === null, JSON.stringify(text)).toBe(parses);
    };
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom("", "}", "]", ",", ":", '"', "x", "\\", "\n"), (text, at, c) => {
        agrees(text);
        const cut = at % (text.length + 1);
        agrees(text.slice(0, cut));
        agrees(text.slice(0, cut) + c + text.slice(cut + 1));
      }),
      { numRuns: 500 },
    );
  });

  it("reports nesting past JSON_DEPTH_MAX where it goes too deep instead of overflowing the stack", () => {
    const deep = "[".repeat(JSON_DEPTH_MAX + 1) + "]".repeat(JSON_DEPTH_MAX + 1);
    expect(jsonErrorOffset(deep)).toBe(JSON_DEPTH_MAX);
  });
});

describe("the editor's typed fields", () => {
  it("shows a typed document as protobuf JSON and reads it back exactly", () => {
    const fields = {
      n: create(ValueSchema, { kind: { case: "integerValue", value: 9007199254740993n } }),
      at: create(ValueSchema, { kind: { case: "timestampValue", value: { seconds: 1n, nanos: 5000 } } }),
    };
    const text = typedFieldsText(fields);
    expect(JSON.parse(text)).toEqual({ n: { integerValue: "9007199254740993" }, at: { timestampValue: "1970-01-01T00:00:01.000005Z" } });
    const parsed = parseTypedFieldsText(text);
    expect(parsed.ok && parsed.fields).toEqual(fields);
  });

  it("says why text is not typed fields", () => {
    expect(parseTypedFieldsText("[1]")).toMatchObject({ ok: false, message: expect.stringMatching(/JSON object of values/) });
    expect(parseTypedFieldsText('{"n": {"integerValue": "x"}}')).toMatchObject({ ok: false, message: expect.stringMatching(/not typed values/) });
    // BigInt reads these, and the number read would be saved: refused instead, as the server and the CLI refuse them.
    for (const text of ["0x10", "01", "0b1", "-01"]) {
      expect(parseTypedFieldsText(`{"m": {"mapValue": {"fields": {"n": {"integerValue": "${text}"}}}}}`), text).toMatchObject({ ok: false, message: `the integer "${text}" is not a decimal integer; write an int64 in decimal digits, as {"integerValue": "16"}` });
    }
    expect(parseTypedFieldsText('{"n": {"integerValue": "-16"}}')).toMatchObject({ ok: true });
    expect(parseTypedFieldsText('{"n": ')).toMatchObject({ ok: false, message: expect.stringMatching(/invalid JSON/) });
  });
});

describe("the Query panel's result text", () => {
  // What RunQuery answers for a document with typed values: `data` holds their JSON form (the nearest double).
  const typed = create(DocumentSchema, {
    id: "o1",
    data: { big: 9007199254740992, max: 9223372036854775807, name: "Ada" },
    fields: {
      big: create(ValueSchema, { kind: { case: "integerValue", value: 9007199254740993n } }),
      max: create(ValueSchema, { kind: { case: "integerValue", value: 9223372036854775807n } }),
      name: create(ValueSchema, { kind: { case: "stringValue", value: "Ada" } }),
    },
  });

  it("shows integers past 2^53 exactly, in the typed form the Browse editor shows, not as doubles", () => {
    const text = resultText(typed);
    expect(text).toContain('"integerValue":"9007199254740993"');
    expect(text).toContain('"integerValue":"9223372036854775807"');
    expect(text).not.toContain("9007199254740992");
    expect(text).not.toContain("9223372036854776000");
    expect(JSON.parse(text)).toEqual(JSON.parse(typedFieldsText(typed.fields)));
  });

  it("shows a document of JSON values only as its data", () => {
    expect(resultText(create(DocumentSchema, { id: "b1", data: { title: "Dune", year: 1965 } }))).toBe('{"title":"Dune","year":1965}');
  });
});
