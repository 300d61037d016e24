/**
 * Reads the document editor's text: JSON that must be an object, with the
 * line and column of a syntax error so it can be shown where it is. An
 * integer literal no double spells (`175928847299117063`, beyond ±2^53) is
 * refused rather than silently rounded (numbers are stored as doubles), as
 * the CLI refuses it: the rule is the SDK's number-text.ts, shared so the
 * two tools agree. A double's own digits pass, in full or as the shortest
 * text JSON prints for it (`175928847299117060`), so a document the editor
 * shows (a read) can always be saved back unchanged. A number no double
 * holds as written (`1e400`, `1e-400`, `3e-324`) is refused too, in the
 * CLI's words: the editor sends binary, where it would have been stored as
 * Infinity (refused by the server), 0 or 5e-324.
 */
import { create, fromJson, toJson, type JsonObject } from "@bufbuild/protobuf";
import { firstInexactInteger, firstNonDecimalInt64, firstNumberNoDoubleHolds, inexactIntegerText, noDoubleHoldsText } from "../../clients/ts/src/number-text.js";
import { MapValueSchema, type Value } from "../../gen/impossibledb/v1/document_pb.js";
import { jsonErrorOffset, lineAndColumn } from "./json-error.js";

/** The editor's text read as a document body, or why it is not one. */
export type ParsedDocument = { readonly ok: true; readonly data: JsonObject } | { readonly ok: false; readonly message: string };

/** Parses `text` as a document body: a JSON object. */
export function parseDocumentText(text: string): ParsedDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: syntaxMessage(text, err instanceof Error ? err.message : String(err)) };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, message: "a document is a JSON object, such as {\"name\": \"Ada\"}" };
  }
  // The text, not the parsed value: parsing has already rounded the literal.
  const inexact = inexactMessage(text);
  if (inexact !== null) return { ok: false, message: `${inexact}; quote it to store it as a string` };
  const unheld = firstNumberNoDoubleHolds(text);
  if (unheld !== null) return { ok: false, message: `${noDoubleHoldsText(unheld)}; quote it to store it as a string` };
  return { ok: true, data: value as JsonObject };
}

/** Formats a document body for the editor. */
export function documentText(data: JsonObject | undefined): string {
  return JSON.stringify(data ?? {}, null, 2);
}

/** Why the first integer literal no double spells cannot be stored as written (at its line and column), or null when there is none. */
function inexactMessage(text: string): string | null {
  const inexact = firstInexactInteger(text);
  if (inexact === null) return null;
  const { line, column } = lineAndColumn(text, inexact.offset);
  return `at line ${line} column ${column}, ${inexactIntegerText(inexact)}`;
}

/** JSON.parse's message, led by the line and column where the text stops being JSON. */
function syntaxMessage(text: string, message: string): string {
  const offset = jsonErrorOffset(text);
  if (offset === null) return `invalid JSON: ${message}`;
  const { line, column } = lineAndColumn(text, offset);
  return `invalid JSON at line ${line} column ${column}: ${message}`;
}

/** The editor's text read as typed fields (protobuf JSON of a map of impossibledb.v1.Value), or why it is not. */
export type ParsedFields = { readonly ok: true; readonly fields: { [key: string]: Value } } | { readonly ok: false; readonly message: string };

/**
 * Formats a document's typed fields for the editor: the protobuf JSON of
 * each Value (`{"n": {"integerValue": "9007199254740993"}}`), so a save
 * keeps every integer, timestamp, bytes, reference and geo point exactly;
 * editing the JSON form would turn them into doubles and text.
 */
export function typedFieldsText(fields: { [key: string]: Value }): string {
  return JSON.stringify(typedFieldsJson(fields), null, 2);
}

/**
 * One document of a query's results on one line, in the form the Browse
 * editor shows it: its typed fields' protobuf JSON when it has any (an
 * integer 9007199254740993 as `{"integerValue":"9007199254740993"}`), else
 * its JSON data. `data` alone would show that integer as the double
 * 9007199254740992, and int64 max as 9223372036854776000, which no reader
 * could tell from a double.
 */
export function resultText(doc: { readonly data?: JsonObject | undefined; readonly fields: { [key: string]: Value } }): string {
  return Object.keys(doc.fields).length > 0 ? JSON.stringify(typedFieldsJson(doc.fields)) : JSON.stringify(doc.data ?? {});
}

/** The protobuf JSON of a map of typed values: `{"n": {"integerValue": "5"}}`. */
function typedFieldsJson(fields: { [key: string]: Value }): unknown {
  const json = toJson(MapValueSchema, create(MapValueSchema, { fields })) as { fields?: unknown };
  return json.fields ?? {};
}

/** Parses `text` as typed fields: a JSON object of protobuf-JSON Values. */
export function parseTypedFieldsText(text: string): ParsedFields {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, message: syntaxMessage(text, err instanceof Error ? err.message : String(err)) };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, message: 'typed fields are a JSON object of values, such as {"n": {"integerValue": "5"}}' };
  }
  const inexact = inexactMessage(text);
  if (inexact !== null) return { ok: false, message: `${inexact}; write an exact integer as {"integerValue": "…"}, with quotes` };
  const unheld = firstNumberNoDoubleHolds(text);
  if (unheld !== null) return { ok: false, message: noDoubleHoldsText(unheld) };
  let fields: { [key: string]: Value };
  try {
    fields = fromJson(MapValueSchema, { fields: value as JsonObject }).fields;
  } catch (err) {
    return { ok: false, message: `not typed values: ${err instanceof Error ? err.message : String(err)}` };
  }
  // protobuf-es read "0x10" as 16 and "01" as 1, and would send the number it read: the server refuses that text.
  const nonDecimal = firstNonDecimalInt64(value);
  if (nonDecimal !== null) return { ok: false, message: `the integer ${JSON.stringify(nonDecimal)} is not a decimal integer; write an int64 in decimal digits, as {"integerValue": "16"}` };
  return { ok: true, fields };
}
