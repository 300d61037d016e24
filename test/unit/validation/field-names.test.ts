/**
 * One grammar for field names: a write may store a field only if a field
 * path can name it, so every stored field can be masked, projected and
 * filtered on. Checked both ways: names the path grammar cannot express are
 * refused with a message naming where, and (property) every name that is
 * accepted round-trips through formatFieldPath and parseFieldPath.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonObject } from "@bufbuild/protobuf";
import { FIELD_NAME_BYTES_MAX, FIELD_PATH_LENGTH_MAX } from "../../../src/limits.js";
import { encodeDocumentData } from "../../../src/validation/document-data.js";
import { formatFieldPath, parseFieldPath } from "../../../src/validation/field-path.js";

describe("field names on write", () => {
  it.each([
    ["a newline", { "a\nb": 1 }, /field name "a\\nb" at the top level holds control character U\+000A/],
    ["a NUL, nested", { m: { "x\u0000": 1 } }, /field name "x\\u0000" under m holds control character U\+0000/],
    ["DEL, in an array of maps", { list: [{ ok: 1 }, { "\u007f": 2 }] }, /field name "\\u007f" under list\[1\] holds control character U\+007F/],
    ["a tab, under an odd name", { "odd name": { "t\tab": 1 } }, /under `odd name` holds control character U\+0009/],
    ["the id pseudo-field at the top level", { __id__: "x" }, /__id__ at the top level is reserved/],
    // One key starting with U+0001 looks like a typed value's tag, but the data is a map of fields.
    ["a tag-like name alone at the top level", { "\u0001i": "9" }, /^field name "\\u0001i" at the top level holds control character U\+0001/],
    ["a real tag alone at the top level", { "\u0001int": "9" }, /^field name "\\u0001int" at the top level holds control character U\+0001/],
  ])("refuses %s, naming where", (_name, data, message) => {
    for (const typed of [true, false]) {
      const out = encodeDocumentData(data as JsonObject, { typed });
      expect(out).toMatchObject({ ok: false, kind: "invalid_argument" });
      if (!out.ok) expect(out.message).toMatch(message);
    }
  });

  it("still refuses data that is not a map", () => {
    expect(encodeDocumentData([] as never)).toMatchObject({ ok: false, message: "document data must be a JSON object (a map)" });
  });

  it("refuses a name whose quoted form is over FIELD_PATH_LENGTH_MAX, though its bytes fit", () => {
    const name = " ".repeat(FIELD_NAME_BYTES_MAX);
    expect(parseFieldPath(formatFieldPath([name])).ok).toBe(false);
    expect(encodeDocumentData({ [name]: 1 })).toMatchObject({ ok: false, kind: "invalid_argument", message: /cannot be written as a field path/ });
  });

  it("refuses a field whose whole path is over FIELD_PATH_LENGTH_MAX", () => {
    const long = "k".repeat(FIELD_PATH_LENGTH_MAX / 2);
    expect(encodeDocumentData({ [long]: { [long]: 1 } })).toMatchObject({ ok: false, kind: "invalid_argument", message: /FIELD_PATH_LENGTH_MAX/ });
    // Under an array no path reaches a field, so its path length is no limit.
    expect(encodeDocumentData({ [long]: [{ [long]: 1 }] }).ok).toBe(true);
  });

  it("names a deep field by a bounded prefix of its path", () => {
    const long = "k".repeat(1000);
    let data: unknown = { "bad\n": 1 };
    for (let i = 0; i < 9; i++) data = { [long]: [data] };
    const out = encodeDocumentData(data as JsonObject);
    expect(out).toMatchObject({ ok: false, kind: "invalid_argument", message: /^field name "bad\\n" under k{200}\.\.\. holds control character U\+000A/ });
    if (!out.ok) expect(out.message.length).toBeLessThan(400);
  });

  it("keeps names paths can quote: dots, spaces, backquotes, backslashes, non-ASCII, __id__ below the top", () => {
    for (const name of ["a.b", "odd name", "back`quote", "back\\slash", "ключ", "😀", "__proto__", "é\u00a0"]) {
      expect(encodeDocumentData({ [name]: { [name]: 1 } }).ok, name).toBe(true);
    }
    expect(encodeDocumentData({ m: { __id__: 1 } }).ok).toBe(true);
  });
});

describe("every field name accepted on write can be named by a path (property)", () => {
  // Names from every corner of UTF-16: control characters, quotes, lone surrogates, long runs.
  const name = fc.oneof(
    fc.string({ unit: "binary", minLength: 0, maxLength: 12 }),
    fc.string({ unit: fc.constantFrom("a", "`", "\\", ".", " ", "\n", "\u007f", "_", "1"), maxLength: 16 }),
    fc.string({ unit: "grapheme", maxLength: 8 }),
    fc.constantFrom("__proto__", "constructor", "__id__", "`".repeat(800), "k".repeat(FIELD_NAME_BYTES_MAX)),
  );

  it("holds for top-level and nested names: format, parse, same segments", () => {
    fc.assert(
      fc.property(name, name, (outer, inner) => {
        const data = JSON.parse(`{${JSON.stringify(outer)}:{${JSON.stringify(inner)}:1}}`) as JsonObject;
        if (!encodeDocumentData(data).ok) return;
        const path = [outer, inner];
        const parsed = parseFieldPath(formatFieldPath(path));
        expect(parsed).toEqual({ ok: true, path });
        expect(parseFieldPath(formatFieldPath([outer]))).toEqual({ ok: true, path: [outer] });
      }),
      { numRuns: 2000 },
    );
  });

  it("refuses exactly the names with control characters among short ones", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", minLength: 1, maxLength: 12 }).filter((s) => s !== "__id__"), (n) => {
        const hasControl = /[\u0000-\u001f\u007f]/.test(n);
        expect(encodeDocumentData({ m: { [n]: 1 } }).ok).toBe(!hasControl);
      }),
      { numRuns: 2000 },
    );
  });
});
