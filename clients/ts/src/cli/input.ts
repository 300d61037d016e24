/**
 * Reading the documents of an import file: NDJSON (one {"id", "data"}
 * object a line, as `impossibledb export` writes), a JSON array of the same
 * objects, or CSV with a header row (csv.ts says how cells are typed).
 * A JSON record may hold `"fields"` instead, the document's typed form in
 * protobuf JSON (typed-fields.ts), or both, as export writes a document
 * that holds typed values: then `"data"` must be the JSON form of
 * `"fields"` (json-form.ts), and a record whose two forms disagree is
 * refused, naming where, since either choice would drop what the other
 * says. CSV is JSON values only.
 * Every record comes with the line it starts on, so problems are reported
 * as FILE:LINE. NDJSON is streamed; a JSON array or CSV file is read whole.
 */
import { createReadStream } from "node:fs";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { CsvSyntaxError, parseCsv, rowDocument } from "./csv.js";
import type { DocumentData, ValueDecoder } from "../value-codec.js";
import { CliError } from "./errors.js";
import { disagreement } from "./json-form.js";
import { checkId } from "./names.js";
import { firstInexactInteger, firstNumberNoDoubleHolds, inexactIntegerText, noDoubleHoldsText } from "../number-text.js";
import { typedFieldsData } from "./typed-fields.js";

/** The file formats import reads. */
export const IMPORT_FORMATS = ["ndjson", "json", "csv"] as const;

/** One of IMPORT_FORMATS. */
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** A document read from the file, with the line it starts on (from 1). */
export interface InputRecord {
  readonly kind: "record";
  readonly line: number;
  readonly id: string;
  /** The document: `"data"`, or `"fields"` decoded into the SDK's types when the record has it. */
  readonly data: DocumentData;
  /** Characters of the JSON the document came from (`"data"`, or `"fields"`): its size, for sizing batches. */
  readonly jsonLength: number;
}

/** Why the record at a line cannot be imported. */
export interface InputProblem {
  readonly kind: "problem";
  readonly line: number;
  readonly message: string;
}

/** Options of readRecords. */
export interface ReadOptions {
  /** The CSV column holding document ids. */
  readonly idColumn: string;
  /** Turns `"fields"` into the SDK's types; it must read timestamps as Timestamps (typed-fields.ts). */
  readonly decoder: ValueDecoder;
}

/** The format a file is in: by its extension, else by its first character. */
export async function detectFormat(file: string): Promise<ImportFormat> {
  const lower = file.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".ndjson") || lower.endsWith(".jsonl")) return "ndjson";
  if (lower.endsWith(".json")) return "json";
  const stream = createReadStream(file, { start: 0, end: 4095, encoding: "utf8" });
  let head = "";
  for await (const chunk of stream) head += chunk as string;
  const first = head.trimStart()[0];
  if (first === "[") return "json";
  if (first === "{" || first === undefined) return "ndjson";
  throw new CliError(`${file}: cannot tell its format (not a JSON array or NDJSON); name it .csv or pass --format`);
}

/** The records (and problems) of `file`, in file order. */
export function readRecords(file: string, format: ImportFormat, options: ReadOptions): AsyncIterable<InputRecord | InputProblem> {
  switch (format) {
    case "ndjson":
      return ndjsonRecords(file, options.decoder);
    case "json":
      return jsonArrayRecords(file, options.decoder);
    case "csv":
      return csvRecords(file, options.idColumn, options.decoder);
  }
}

/** A UTF-8 byte order mark, which editors on Windows put at the start of files. */
const BYTE_ORDER_MARK = "\uFEFF";

/** `text` without a leading byte order mark (it is not part of the data: JSON.parse refuses it, CSV would glue it to the first column's name). */
export function withoutByteOrderMark(text: string): string {
  return text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
}

/**
 * Checks one {"id", "data"} object, or {"id", "fields"}, or {"id", "data",
 * "fields"} as export writes a document with typed values: there "data" is
 * the JSON form of "fields", which alone is written (it is the exact one).
 * A record whose "data" is not that JSON form is ambiguous (which of the two
 * is the document?) and is refused, naming the first place they differ.
 */
export function toRecord(line: number, value: unknown, decoder: ValueDecoder): InputRecord | InputProblem {
  const problem = (message: string): InputProblem => ({ kind: "problem", line, message });
  if (typeof value !== "object" || value === null || Array.isArray(value)) return problem('expected an object {"id": ..., "data": {...}}');
  const keys = Object.keys(value);
  const extra = keys.filter((k) => k !== "id" && k !== "data" && k !== "fields");
  if (extra.length > 0) return problem(`unexpected key ${JSON.stringify(extra[0])}; a record has only "id", "data" and "fields"`);
  const { id, data, fields } = value as { id?: unknown; data?: unknown; fields?: unknown };
  if (typeof id !== "string") return problem('"id" must be a string');
  const idProblem = checkId(id);
  if (idProblem !== null) return problem(idProblem);
  if (fields !== undefined) {
    const typed = typedFieldsData(fields, decoder);
    if ("problem" in typed) return problem(typed.problem);
    const differ = data === undefined ? null : disagreement(data, typed.jsonForm);
    if (differ !== null) return problem(disagreementText(differ));
    return { kind: "record", line, id, data: typed.data, jsonLength: JSON.stringify(fields).length };
  }
  if (data === undefined) return problem('the record has neither "data" nor "fields"; give the document as "data": {...} (or typed, as "fields")');
  if (typeof data !== "object" || data === null || Array.isArray(data)) return problem('"data" must be an object');
  return { kind: "record", line, id, data: data as DocumentData, jsonLength: JSON.stringify(data).length };
}

/**
 * Why a record's "data" and "fields" cannot both be the document: where
 * they differ, what each holds there, and what to do.
 */
function disagreementText(differ: { at: string; data: unknown; fields: unknown }): string {
  const where = differ.at === "" ? "" : ` at ${differ.at}`;
  const data = differ.data === undefined ? '"data" has no such member' : `"data" has ${JSON.stringify(differ.data)}`;
  const fields = differ.fields === undefined ? '"fields" has no such member' : `"fields" has ${JSON.stringify(differ.fields)} (in JSON form)`;
  return `"data" and "fields" disagree${where}: ${data} and ${fields}; give the document once, as "data" or as "fields" (a record with both, as export writes them, needs "data" to be the JSON form of "fields")`;
}

async function* ndjsonRecords(file: string, decoder: ValueDecoder): AsyncIterable<InputRecord | InputProblem> {
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  for await (const raw of lines) {
    line++;
    const text = line === 1 ? withoutByteOrderMark(raw) : raw;
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { kind: "problem", line, message: `not JSON: ${(err as Error).message}` };
      continue;
    }
    yield checkedRecord(line, value, decoder, text);
  }
}

async function* jsonArrayRecords(file: string, decoder: ValueDecoder): AsyncIterable<InputRecord | InputProblem> {
  const text = withoutByteOrderMark(await readFile(file, "utf8"));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    yield { kind: "problem", line: lineOfPosition(text, (err as Error).message), message: `not JSON: ${(err as Error).message}` };
    return;
  }
  if (!Array.isArray(value)) {
    yield { kind: "problem", line: 1, message: "expected a JSON array of {\"id\", \"data\"} objects" };
    return;
  }
  const starts = elementStarts(text);
  for (const [i, element] of value.entries()) {
    yield checkedRecord(starts[i]?.line ?? 1, element, decoder, text, starts[i]?.offset ?? 0, starts[i + 1]?.offset ?? text.length);
  }
}

/** The line (from 1) of the "at position N" a JSON.parse error names, or 1 when it names none. */
function lineOfPosition(text: string, message: string): number {
  const position = /\bat position (\d+)/.exec(message)?.[1];
  if (position === undefined) return 1;
  let line = 1;
  for (let i = 0; i < Math.min(Number(position), text.length); i++) if (text[i] === "\n") line++;
  return line;
}

/**
 * toRecord, then the record's text (`text` from `start` to `end`): an
 * integer literal that JSON parsing has rounded (number-text.ts) is
 * refused, as storing the double would change the number without a word.
 * toRecord's own problems come first: they are the more precise (an int64
 * written as a number in "fields").
 */
function checkedRecord(line: number, value: unknown, decoder: ValueDecoder, text: string, start = 0, end = text.length): InputRecord | InputProblem {
  const record = toRecord(line, value, decoder);
  if (record.kind === "problem") return record;
  // JSON.parse reads 1e400 as Infinity and 1e-400 as 0; the SDK would name Infinity or store 0, not what the file says.
  const unheld = firstNumberNoDoubleHolds(text, start, end);
  if (unheld !== null) return { kind: "problem", line, message: `${noDoubleHoldsText(unheld)}; quote it to store it as text` };
  const inexact = firstInexactInteger(text, start, end);
  if (inexact === null) return record;
  return {
    kind: "problem",
    line,
    message: `${inexactIntegerText(inexact)}; quote it to store it as a string, or give the record "fields" with {"integerValue": "${inexact.literal}"} to store the exact integer`,
  };
}

/**
 * The line each element of a top-level JSON array starts on. The text has
 * already parsed as an array, so a scan that tracks strings and nesting
 * depth is enough.
 */
export function elementLines(text: string): number[] {
  return elementStarts(text).map((start) => start.line);
}

/** Where each element of a top-level JSON array starts: its line (from 1) and its offset in UTF-16 code units. */
export function elementStarts(text: string): Array<{ line: number; offset: number }> {
  const out: Array<{ line: number; offset: number }> = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expectElement = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "\n") line++;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === " " || c === "\t" || c === "\n" || c === "\r") continue;
    if (depth === 1 && expectElement && c !== "]") {
      out.push({ line, offset: i });
      expectElement = false;
    }
    if (c === '"') inString = true;
    else if (c === "[" || c === "{") {
      depth++;
      if (depth === 1) expectElement = true;
    } else if (c === "]" || c === "}") depth--;
    else if (c === "," && depth === 1) expectElement = true;
  }
  return out;
}

async function* csvRecords(file: string, idColumn: string, decoder: ValueDecoder): AsyncIterable<InputRecord | InputProblem> {
  const [header, ...data] = parseCsv(withoutByteOrderMark(await readFile(file, "utf8")));
  if (header === undefined) return;
  if ("problem" in header) {
    // Without a header no row has field names to check against.
    yield { kind: "problem", line: header.line, message: header.problem };
    return;
  }
  const names = header.cells.map((c) => c.text);
  const idIndex = names.indexOf(idColumn);
  if (idIndex < 0) {
    yield { kind: "problem", line: header.line, message: `the header has no ${JSON.stringify(idColumn)} column for document ids (see --id-column)` };
    return;
  }
  const seen = new Set<string>();
  for (const [i, name] of names.entries()) {
    if (name === "" && i !== idIndex) {
      yield { kind: "problem", line: header.line, message: `column ${i + 1} of the header has no name` };
      return;
    }
    if (seen.has(name)) {
      yield { kind: "problem", line: header.line, message: `column ${JSON.stringify(name)} appears twice in the header` };
      return;
    }
    seen.add(name);
  }
  for (const row of data) {
    if ("problem" in row) {
      yield { kind: "problem", line: row.line, message: row.problem };
      continue;
    }
    try {
      const doc = rowDocument(names, row, idIndex);
      yield toRecord(row.line, doc, decoder);
    } catch (err) {
      if (!(err instanceof CsvSyntaxError)) throw err;
      yield { kind: "problem", line: err.line, message: err.message };
    }
  }
}
