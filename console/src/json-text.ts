/**
 * Reads the document editor's text: JSON that must be an object, with the
 * line and column of a syntax error so it can be shown where it is.
 */
import type { JsonObject } from "@bufbuild/protobuf";

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
  return { ok: true, data: value as JsonObject };
}

/** Formats a document body for the editor. */
export function documentText(data: JsonObject | undefined): string {
  return JSON.stringify(data ?? {}, null, 2);
}

/** JSON.parse's message, with the line and column when it gives only a position. */
function syntaxMessage(text: string, message: string): string {
  const position = /at position (\d+)/.exec(message);
  if (position === null || /\(line \d+ column \d+\)/.test(message)) return `invalid JSON: ${message}`;
  const before = text.slice(0, Number(position[1]));
  const line = before.split("\n").length;
  const column = before.length - before.lastIndexOf("\n");
  return `invalid JSON: ${message} (line ${line} column ${column})`;
}
