/**
 * The grammar of field paths, such as `address.city` or `tags`.`odd key`.
 *
 * A path is segments joined by dots. A segment is either a plain identifier
 * (`[A-Za-z_][A-Za-z0-9_]*`) or any non-empty text between backquotes, where
 * "\`" stands for a backquote and "\\" for a backslash. Control characters
 * and lone UTF-16 surrogates (unicode.ts) are refused everywhere: no stored
 * field name holds one, so a path with one could never match. Paths reach
 * SQL only as bound JSON-path parameters built from parsed segments, never
 * as spliced text.
 */
import { FIELD_NAME_BYTES_MAX, FIELD_PATH_LENGTH_MAX, FIELD_PATH_SEGMENTS_MAX } from "../limits.js";
import { loneSurrogateProblem } from "./unicode.js";

/** A parsed field path: its segments, outermost first. */
export type FieldPath = readonly string[];

/** The outcome of parsing: the segments, or where and why the text is not a path. */
export type ParsedFieldPath = { ok: true; path: FieldPath } | { ok: false; message: string };

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;
const encoder = new TextEncoder();

/** Parses `text` as a field path. */
export function parseFieldPath(text: string): ParsedFieldPath {
  if (text.length === 0) return { ok: false, message: "field path is empty" };
  if (text.length > FIELD_PATH_LENGTH_MAX) {
    return { ok: false, message: `field path is ${text.length} characters, over FIELD_PATH_LENGTH_MAX (${FIELD_PATH_LENGTH_MAX})` };
  }
  const unpaired = loneSurrogateProblem(text);
  if (unpaired !== null) return { ok: false, message: `field path ${unpaired}` };
  const segments: string[] = [];
  let i = 0;
  for (;;) {
    const parsed = text[i] === "`" ? readQuoted(text, i) : readIdentifier(text, i);
    if (!parsed.ok) return parsed;
    segments.push(parsed.segment);
    if (segments.length > FIELD_PATH_SEGMENTS_MAX) {
      return { ok: false, message: `field path has more than FIELD_PATH_SEGMENTS_MAX (${FIELD_PATH_SEGMENTS_MAX}) segments` };
    }
    i = parsed.end;
    if (i === text.length) return { ok: true, path: segments };
    if (text[i] !== ".") return { ok: false, message: `unexpected ${describe(text, i)} at offset ${i} of field path; expected "."` };
    i += 1;
    if (i === text.length) return { ok: false, message: "field path ends with a dot" };
  }
}

type Segment = { ok: true; segment: string; end: number } | { ok: false; message: string };

function readIdentifier(text: string, start: number): Segment {
  if (!IDENT_START.test(text[start] ?? "")) {
    return {
      ok: false,
      message: `unexpected ${describe(text, start)} at offset ${start} of field path; a segment starts with a letter or "_", or is quoted with backquotes`,
    };
  }
  let end = start + 1;
  while (end < text.length && IDENT_PART.test(text[end]!)) end += 1;
  return { ok: true, segment: text.slice(start, end), end };
}

function readQuoted(text: string, start: number): Segment {
  let segment = "";
  let i = start + 1;
  while (i < text.length) {
    const ch = text[i]!;
    if (isControl(ch)) return { ok: false, message: `control character at offset ${i} of field path` };
    if (ch === "`") {
      if (segment.length === 0) return { ok: false, message: `empty quoted segment at offset ${start} of field path` };
      // A UTF-16 unit is at most 3 UTF-8 bytes: short segments skip the encoding.
      if (segment.length * 3 > FIELD_NAME_BYTES_MAX && encoder.encode(segment).length > FIELD_NAME_BYTES_MAX) {
        return { ok: false, message: `field name over FIELD_NAME_BYTES_MAX (${FIELD_NAME_BYTES_MAX}) bytes` };
      }
      return { ok: true, segment, end: i + 1 };
    }
    if (ch === "\\") {
      const next = text[i + 1];
      if (next !== "`" && next !== "\\") return { ok: false, message: `bad escape at offset ${i} of field path; only \\\` and \\\\ are allowed` };
      segment += next;
      i += 2;
      continue;
    }
    segment += ch;
    i += 1;
  }
  return { ok: false, message: `unterminated backquote at offset ${start} of field path` };
}

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

function describe(text: string, i: number): string {
  const ch = text[i];
  if (ch === undefined) return "end";
  return isControl(ch) ? `control character U+${ch.charCodeAt(0).toString(16).padStart(4, "0")}` : JSON.stringify(ch);
}

/** Writes segments back as the canonical text of the path. */
export function formatFieldPath(path: FieldPath): string {
  return path
    .map((s) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : "`" + s.replace(/[\\`]/g, (c) => "\\" + c) + "`"))
    .join(".");
}
