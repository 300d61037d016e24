/**
 * CSV for `impossibledb import`: RFC 4180 (quoted fields with "" for a
 * quote, newlines inside quotes, CRLF or LF line ends), a header row of
 * field names, and a fixed rule for types:
 *
 *   - a quoted cell is always a string ("42" stays the text 42);
 *   - an unquoted cell that is a JSON number (42, -1.5, 1e3; not 007 or
 *     +1), true, false or null becomes that value;
 *   - an empty unquoted cell leaves the field out of the document;
 *   - anything else is a string, as written.
 *
 * The column named by the id column (`id` unless --id-column says
 * otherwise) is the document id and is not stored as a field.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { inexactIntegerText, noDoubleHolds, noDoubleHoldsText, spellsItsDouble } from "../number-text.js";

/** One cell, and whether it was quoted (quoted cells stay strings). */
interface Cell {
  readonly text: string;
  readonly quoted: boolean;
}

/** One row of cells with the line it starts on (from 1). */
export interface CsvRow {
  readonly line: number;
  readonly cells: readonly Cell[];
}

/**
 * A record the CSV syntax refuses, at the line of the fault (for an
 * unclosed quote, the line its quoted cell starts on).
 */
export interface CsvRowProblem {
  readonly line: number;
  readonly problem: string;
}

/** A CSV syntax error at a line. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(message);
  }
}

/** Whether `c` ends an unquoted cell. */
function endsCell(c: string | undefined): boolean {
  return c === "," || c === "\n" || c === "\r";
}

/** The offset of the first line end at or after `i` (text.length if none). */
function lineEndFrom(text: string, i: number): number {
  let end = i;
  while (end < text.length && text[end] !== "\n" && text[end] !== "\r") end++;
  return end;
}

/**
 * Splits CSV text into rows, in file order; blank lines are skipped. A
 * record the syntax refuses comes back as a CsvRowProblem and the parse
 * goes on at the next line, so one bad record does not hide the others:
 * an import lists every bad record at once. An unclosed quote runs to the
 * end of the text, so after one the parse goes on at the line after the
 * quote's own (the rest of the text holds no other quote). So does a
 * quoted cell that spans lines and has text after its closing quote: that
 * quote was most likely a later record's opening one, so the problem is
 * named at the line the cell starts on.
 */
export function parseCsv(text: string): Array<CsvRow | CsvRowProblem> {
  const rows: Array<CsvRow | CsvRowProblem> = [];
  let cells: Cell[] = [];
  let line = 1;
  let rowLine = 1;
  let i = 0;
  const endRow = () => {
    if (!(cells.length === 1 && cells[0]!.text === "" && !cells[0]!.quoted)) rows.push({ line: rowLine, cells });
    cells = [];
  };
  // Refuses the record at `problemLine` and goes on at the line end from `resumeAt` (on line `resumeLine`).
  const refuse = (problemLine: number, problem: string, resumeAt: number, resumeLine: number) => {
    rows.push({ line: problemLine, problem });
    cells = [];
    i = lineEndFrom(text, resumeAt);
    line = resumeLine;
  };
  while (i <= text.length) {
    // At the start of a cell.
    if (text[i] === '"') {
      const quoteAt = i;
      const quoteLine = line;
      let value = "";
      let closed = false;
      i++;
      while (i < text.length) {
        const c = text[i]!;
        if (c === '"' && text[i + 1] === '"') {
          value += '"';
          i += 2;
        } else if (c === '"') {
          i++;
          closed = true;
          break;
        } else {
          if (c === "\n" || (c === "\r" && text[i + 1] !== "\n")) line++;
          value += c;
          i++;
        }
      }
      if (!closed) {
        refuse(quoteLine, "a quoted cell starts here and is not closed; close it with a quote (write \"\" for a quote inside it)", quoteAt, quoteLine);
      } else if (i < text.length && !endsCell(text[i]) && line > quoteLine) {
        // The quote that "closed" the cell is likely a later record's own opening quote: a quote on the cell's first line
        // was never closed. Naming the line it ended on would blame a good record; go on after the cell's first line.
        refuse(quoteLine, `the quoted cell that starts on line ${quoteLine} ends on line ${line} with text after its closing quote; is a quote on line ${quoteLine} unclosed?`, quoteAt, quoteLine);
      } else if (i < text.length && !endsCell(text[i])) {
        refuse(line, "text after a closing quote; write \"\" for a quote inside a quoted cell", i, line);
      } else {
        cells.push({ text: value, quoted: true });
      }
    } else {
      let end = i;
      while (end < text.length && !endsCell(text[end])) end++;
      const value = text.slice(i, end);
      if (value.includes('"')) refuse(line, "a quote inside an unquoted cell; quote the whole cell", i, line);
      else {
        cells.push({ text: value, quoted: false });
        i = end;
      }
    }
    if (i >= text.length) {
      if (cells.length > 0) endRow();
      break;
    }
    if (text[i] === ",") {
      i++;
      continue;
    }
    // A line end: \r\n, \n or \r.
    if (text[i] === "\r" && text[i + 1] === "\n") i++;
    i++;
    if (cells.length > 0) endRow();
    line++;
    rowLine = line;
    if (i >= text.length) break;
  }
  return rows;
}

const JSON_NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

/**
 * The value of one cell by the rule above; undefined leaves the field out.
 * Throws RangeError for an unquoted number a double cannot hold (1e400, 1e-400):
 * storing it as text would silently change its type; and for an unquoted
 * integer no double spells (175928847299117063, number-text.ts): storing
 * the nearest double would silently change its value.
 */
export function cellValue(cell: Cell): JsonValue | undefined {
  if (cell.quoted) return cell.text;
  const t = cell.text;
  if (t === "") return undefined;
  if (t === "true") return true;
  if (t === "false") return false;
  if (t === "null") return null;
  if (JSON_NUMBER.test(t)) {
    const n = Number(t);
    if (noDoubleHolds(t)) throw new RangeError(`${noDoubleHoldsText(t)}; quote it to store it as text`);
    if (!spellsItsDouble(t)) throw new RangeError(`${inexactIntegerText({ literal: t, offset: 0, nearest: BigInt(n).toString() })}; quote it to store it as text`);
    return n;
  }
  return t;
}

/** A document made from one data row under the header's field names. */
export function rowDocument(header: readonly string[], row: CsvRow, idColumn: number): { id: string; data: JsonObject } {
  if (row.cells.length !== header.length) {
    throw new CsvSyntaxError(row.line, `the row has ${row.cells.length} cells, the header ${header.length}`);
  }
  const data: JsonObject = {};
  let id = "";
  row.cells.forEach((cell, i) => {
    if (i === idColumn) {
      id = cell.text;
      return;
    }
    let value: JsonValue | undefined;
    try {
      value = cellValue(cell);
    } catch (err) {
      if (err instanceof RangeError) throw new CsvSyntaxError(row.line, `column ${JSON.stringify(header[i])}: ${err.message}`);
      throw err;
    }
    if (value !== undefined) Object.defineProperty(data, header[i]!, { value, enumerable: true, writable: true, configurable: true });
  });
  return { id, data };
}
