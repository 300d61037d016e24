import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { JSON_DEPTH_MAX, jsonErrorOffset } from "../../../console/src/json-error.js";
import { parseDocumentText, parseTypedFieldsText, typedFieldsText } from "../../../console/src/json-text.js";
import { create } from "@bufbuild/protobuf";
import { ValueSchema } from "../../../gen/impossibledb/v1/document_pb.js";

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

  it("refuses an integer beyond 2^53 instead of rounding it, and keeps one within", () => {
    expect(parseDocumentText('{"id": 12345678901234567891}')).toEqual({
      ok: false,
      message: "the integer 12345678901234567891 is beyond ±2^53 and cannot be kept exactly; quote it to store it as a string",
    });
    expect(parseDocumentText('{"id": 9007199254740991, "big": 1.5e300}')).toEqual({ ok: true, data: { id: 9007199254740991, big: 1.5e300 } });
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
    expect(parseTypedFieldsText('{"n": ')).toMatchObject({ ok: false, message: expect.stringMatching(/invalid JSON/) });
  });
});
