/** The CLI's input parsing: CSV cells and their types, and line numbers of JSON array elements. */
import { describe, expect, it } from "vitest";
import { cellValue, parseCsv } from "../src/cli/csv.js";
import { elementLines, toRecord } from "../src/cli/input.js";

describe("CSV", () => {
  it("splits quoted cells with commas, quotes and newlines, and numbers rows by their first line", () => {
    const rows = parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",z\n\nlast,row');
    expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 6]);
    expect(rows[1]!.cells.map((c) => c.text)).toEqual(["x, y", 'say "hi"']);
    expect(rows[2]!.cells.map((c) => c.text)).toEqual(["two\nlines", "z"]);
  });

  it("types unquoted cells as JSON literals and keeps quoted cells as strings", () => {
    const v = (text: string, quoted = false) => cellValue({ text, quoted });
    expect([v("42"), v("-1.5e3"), v("true"), v("false"), v("null")]).toEqual([42, -1500, true, false, null]);
    expect([v("007"), v("+1"), v("1."), v("NaN"), v("Infinity"), v("TRUE")]).toEqual(["007", "+1", "1.", "NaN", "Infinity", "TRUE"]);
    expect([v("42", true), v("true", true), v("", true)]).toEqual(["42", "true", ""]);
    expect(v("")).toBeUndefined();
  });

  it("refuses unclosed quotes and stray quotes, naming the line", () => {
    expect(() => parseCsv('a\n"open')).toThrow(/not closed/);
    expect(() => parseCsv('a\nx"y')).toThrow(/quote inside an unquoted cell/);
    expect(() => parseCsv('a\n"x"y')).toThrow(/after a closing quote/);
  });
});

describe("JSON array records", () => {
  it("finds the line each element starts on, ignoring brackets inside strings", () => {
    const text = '[\n  {"id": "a", "data": {"s": "]\\",["}},\n\n  {"id": "b",\n   "data": {}}, {"id": "c", "data": {}}\n]';
    expect(elementLines(text)).toEqual([2, 4, 5]);
    expect(elementLines("[]")).toEqual([]);
  });

  it("accepts only {id, data} objects", () => {
    expect(toRecord(3, { id: "a", data: { x: 1 } })).toEqual({ kind: "record", line: 3, id: "a", data: { x: 1 } });
    expect(toRecord(4, { id: 1, data: {} })).toMatchObject({ kind: "problem", line: 4 });
    expect(toRecord(5, { id: "", data: {} })).toMatchObject({ kind: "problem", message: "the document id is empty" });
    expect(toRecord(6, [1])).toMatchObject({ kind: "problem" });
  });
});
