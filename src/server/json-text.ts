/**
 * Reads a request message sent as JSON and, when it is not JSON, says
 * precisely why in words of our own: whether its bytes are not UTF-8 at
 * all, or where the JSON goes wrong (cut short, or an unexpected character
 * at a line and column). Shared by the Worker's binary guard and the front
 * door's message guard, so both answer the same words.
 *
 * The problem never quotes the request's text: a parser's excerpt can hold
 * half of a surrogate pair, which gRPC-Web's grpc-message cannot carry (the
 * front door answered HTTP 500 for one).
 */

/** The parsed message and its text, or why the bytes are not JSON. */
export type JsonText = { ok: true; text: string; parsed: unknown } | { ok: false; problem: string };

/** Parses `bytes` as UTF-8 JSON; pure, for the Worker and Node alike. */
export function readJsonText(bytes: Uint8Array): JsonText {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    return { ok: false, problem: "the request message is not valid UTF-8, so it is not JSON" };
  }
  try {
    return { ok: true, text, parsed: JSON.parse(text) };
  } catch (err) {
    return { ok: false, problem: `the request message is not valid JSON: ${jsonSyntaxProblem(text, err instanceof Error ? err.message : "")}` };
  }
}

/**
 * What is wrong with `text`, from the position the parser's message names
 * ("... in JSON at position 24"); the parser's own words are not passed on,
 * since some of them quote the text.
 */
function jsonSyntaxProblem(text: string, parserMessage: string): string {
  if (text.trim() === "") return "it is empty (a message with no fields is {})";
  if (/unexpected end/i.test(parserMessage)) return "it ends before the JSON value is complete (cut short?)";
  const match = /at position (\d+)/.exec(parserMessage);
  // The parser names no position for a token it cannot start a value with;
  // when that is the first one (binary sent as JSON), its place is known.
  const first = text.length - text.trimStart().length;
  const position = match !== null ? Number(match[1]) : /^[{["\-0-9tfn]/.test(text.slice(first)) ? undefined : first;
  if (position === undefined) {
    // V8 names the token without its place ("Unexpected token 'x', ..."):
    // name it too, in words that quote nothing but printable ASCII.
    const token = /^Unexpected token '(.)'/u.exec(parserMessage)?.[1];
    return token === undefined ? "it holds an unexpected token" : `unexpected character ${characterName(token.codePointAt(0) ?? 0)}`;
  }
  if (position >= text.trimEnd().length) return "it ends before the JSON value is complete (cut short?)";
  if (/unterminated string/i.test(parserMessage)) return `the string that starts at ${lineAndColumn(text, position)} is never closed (cut short?)`;
  return `unexpected character ${characterName(text.codePointAt(position) ?? 0)} at ${lineAndColumn(text, position)}`;
}

/** "line L column C" of a UTF-16 offset, both from 1. */
function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position);
  const line = before.split("\n").length;
  const column = position - (before.lastIndexOf("\n") + 1) + 1;
  return `line ${line} column ${column}`;
}

/** A character as it may be quoted safely: printable ASCII as itself, anything else as U+XXXX. */
function characterName(codePoint: number): string {
  if (codePoint > 0x20 && codePoint < 0x7f) return JSON.stringify(String.fromCodePoint(codePoint));
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, "0")}`;
}
