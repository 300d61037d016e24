/** The CLI's input parsing: CSV cells and their types, and line numbers of JSON array elements. */
import { describe, expect, it } from "vitest";
import { cellValue, parseCsv, rowDocument, type CsvRow } from "../src/cli/csv.js";
import { elementLines, readRecords, toRecord, withoutByteOrderMark } from "../src/cli/input.js";
import { createRouterTransport } from "@connectrpc/connect";
import { createServices } from "../src/services.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** The decoder import gives readRecords: timestamps as Timestamps; references of a client never called. */
const decoder = createServices(createRouterTransport(() => {}), undefined, { timestamps: "timestamp" }).decoder;

describe("CSV", () => {
  it("splits quoted cells with commas, quotes and newlines, and numbers rows by their first line", () => {
    const rows = parseCsv('a,b\r\n"x, y","say ""hi"""\n"two\nlines",z\n\nlast,row') as CsvRow[];
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

  it("refuses an unquoted number a double cannot hold, naming the row and column, rather than storing it as text", () => {
    expect(() => cellValue({ text: "1e400", quoted: false })).toThrow(RangeError);
    expect(() => cellValue({ text: "1e-400", quoted: false })).toThrow(/too small for a double/);
    expect(cellValue({ text: "0e-400", quoted: false })).toBe(0);
    expect(cellValue({ text: "5e-324", quoted: false })).toBe(5e-324);
    expect(cellValue({ text: "1e400", quoted: true })).toBe("1e400");
    const [header, row] = parseCsv("id,big\nx,-1e400") as CsvRow[];
    expect(() => rowDocument(header!.cells.map((c) => c.text), row!, 0)).toThrow(/line 2|big/);
    try {
      rowDocument(header!.cells.map((c) => c.text), row!, 0);
    } catch (err) {
      expect((err as { line: number }).line).toBe(2);
      expect((err as Error).message).toMatch(/"big".*-1e400.*quote it/);
    }
  });

  it("refuses unclosed quotes and stray quotes, naming the line, and goes on to the next records (the first one hid the rest)", () => {
    expect(parseCsv('a\n"open')).toEqual([{ line: 1, cells: [{ text: "a", quoted: false }] }, { line: 2, problem: expect.stringMatching(/^a quoted cell starts here and is not closed/) }]);
    expect(parseCsv('a\nx"y\nz')).toMatchObject([{ line: 1 }, { line: 2, problem: expect.stringMatching(/quote inside an unquoted cell/) }, { line: 3, cells: [{ text: "z" }] }]);
    expect(parseCsv('a\n"x"y\nz')).toMatchObject([{ line: 1 }, { line: 2, problem: expect.stringMatching(/after a closing quote/) }, { line: 3, cells: [{ text: "z" }] }]);
  });

  it("names the line an unclosed quoted cell starts on, not its record's first line", () => {
    const rows = parseCsv('id,a,b\nr1,"two\nlines","open\nr3,x,y\n');
    expect(rows).toMatchObject([{ line: 1 }, { line: 3, problem: expect.stringMatching(/not closed/) }, { line: 4, cells: [{ text: "r3" }, { text: "x" }, { text: "y" }] }]);
  });

  it("names the line an unclosed quote is on when a later record's quote closes its cell (the good later record was blamed)", () => {
    const rows = parseCsv('id,title,year\nb1,"Good",1\nb2,"Unclosed,2\nb3,"Fine",3\nb4,"Also fine",4\n');
    expect(rows).toMatchObject([
      { line: 1 },
      { line: 2, cells: [{ text: "b1" }, { text: "Good" }, { text: "1" }] },
      { line: 3, problem: "the quoted cell that starts on line 3 ends on line 4 with text after its closing quote; is a quote on line 3 unclosed?" },
      { line: 4, cells: [{ text: "b3" }, { text: "Fine" }, { text: "3" }] },
      { line: 5, cells: [{ text: "b4" }, { text: "Also fine" }, { text: "4" }] },
    ]);
  });
});

describe("JSON array records", () => {
  it("finds the line each element starts on, ignoring brackets inside strings", () => {
    const text = '[\n  {"id": "a", "data": {"s": "]\\",["}},\n\n  {"id": "b",\n   "data": {}}, {"id": "c", "data": {}}\n]';
    expect(elementLines(text)).toEqual([2, 4, 5]);
    expect(elementLines("[]")).toEqual([]);
  });

  it("accepts only {id, data} objects", () => {
    expect(toRecord(3, { id: "a", data: { x: 1 } }, decoder)).toEqual({ kind: "record", line: 3, id: "a", data: { x: 1 }, jsonLength: 7 });
    expect(toRecord(4, { id: 1, data: {} }, decoder)).toMatchObject({ kind: "problem", line: 4 });
    expect(toRecord(5, { id: "", data: {} }, decoder)).toMatchObject({ kind: "problem", message: "the document id is empty" });
    expect(toRecord(6, [1], decoder)).toMatchObject({ kind: "problem" });
  });
});

describe("byte order marks", () => {
  it("reads NDJSON, JSON arrays and CSV that start with a UTF-8 byte order mark", async () => {
    expect(withoutByteOrderMark("\uFEFFabc")).toBe("abc");
    expect(withoutByteOrderMark("abc\uFEFF")).toBe("abc\uFEFF");
    const dir = mkdtempSync(join(tmpdir(), "impossibledb-bom-"));
    const files = {
      ndjson: ['\uFEFF{"id":"a","data":{"n":1}}\n', "ndjson"],
      json: ['\uFEFF[{"id":"a","data":{"n":1}}]', "json"],
      csv: ["\uFEFFid,n\na,1\n", "csv"],
    } as const;
    for (const [name, [text, format]] of Object.entries(files)) {
      const file = join(dir, `f.${name}`);
      writeFileSync(file, text);
      const out = [];
      for await (const r of readRecords(file, format, { idColumn: "id", decoder })) out.push(r);
      expect(out, name).toEqual([{ kind: "record", line: 1 + (name === "csv" ? 1 : 0), id: "a", data: { n: 1 }, jsonLength: 7 }]);
    }
  });
});
