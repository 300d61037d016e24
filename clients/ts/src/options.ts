/**
 * The check every options bag of the SDK passes: the client's constructor,
 * writes, reads, queries, batches, transactions, listeners and the admin
 * helpers. TypeScript refuses an unknown key in an object literal, but
 * JavaScript callers (and objects built elsewhere) get no such help, and a
 * misspelt key is silently ignored: `update(id, patch, { precondtion })`
 * wrote without its precondition, `{ masks: [...] }` without its mask. So
 * every bag is checked against the keys it has, and a key it does not know
 * is a TypeError naming it, the nearest known key when one is close, and
 * every key the bag takes.
 *
 * Each key also has a kind, checked here too: JavaScript callers pass text
 * where a boolean belongs (`search(text, { exact: "false" })` searched
 * exactly, since the string is truthy) and numbers where a string belongs
 * (which the encoder turned into "1", or `[object Object]`, or failed on as
 * INTERNAL). A value of the wrong kind is a TypeError naming the option; a
 * string the request carries (a name, id, field path, token; see
 * checkedString) is INVALID_ARGUMENT, as the server answers a malformed one.
 */
import { Code, ConnectError } from "@connectrpc/connect";

/** How a check names what it refused: "option" for an options bag, "field" for a value's members (a precondition). */
export type KeyNoun = "option" | "field";

/**
 * What an option holds: "boolean", "number" (ranges are checked where the
 * number is used), "string" and "strings" (sent in the request: refused
 * with INVALID_ARGUMENT, see checkedString), "function", "signal" (an
 * AbortSignal), "object" (a plain bag of the caller's, or an instance such
 * as a Transport), a list of the strings it may be, or "checked" where the
 * value has a check of its own (a nested options bag, a precondition).
 */
export type OptionKind = "boolean" | "number" | "string" | "strings" | "function" | "signal" | "object" | "checked" | readonly string[];

/** The kind of every key of an options type: `satisfies OptionKinds<SearchOptions>` makes sure none is left out. */
export type OptionKinds<T> = { readonly [K in keyof Required<T>]: OptionKind };

/** Keys at most this many edits away from a known one get a "did you mean"; farther ones are not the same word. */
const SUGGESTION_EDITS_MAX = 2;

/** Names longer than this are not compared letter by letter (the distance is quadratic in them). */
const SUGGESTION_NAME_CHARS_MAX = 64;

/**
 * Refuses any own key of `options` that is not in `kinds`, with a
 * TypeError: `${where}: unknown option "precondtion"; did you mean
 * precondition? (options: precondition, mask)`, and any value of a known
 * key that is not of its kind (checkKind). `hints` maps common names from
 * other clients (`url`) to this SDK's (`baseUrl`). `undefined` passes (no
 * options), and so does a key set to undefined (unset); anything else that
 * is not an object is refused.
 * @returns `options`, so a call can check and use it in one expression.
 */
export function checkOptions<T extends object>(
  where: string,
  options: T | undefined,
  kinds: Readonly<Record<string, OptionKind>>,
  hints: Readonly<Record<string, string>> = {},
  noun: KeyNoun = "option",
): T | undefined {
  if (options === undefined) return undefined;
  const names = Object.keys(kinds);
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: the ${noun}s must be an object (${noun}s: ${names.join(", ")}), got ${describe(options)}`);
  }
  // Symbol keys are not options either; Reflect.ownKeys sees them too.
  for (const key of Reflect.ownKeys(options)) {
    if (typeof key === "string" && Object.hasOwn(kinds, key)) {
      checkKind(`${where}: the ${noun} ${key}`, (options as Record<string, unknown>)[key], kinds[key]!);
      continue;
    }
    const name = typeof key === "string" ? JSON.stringify(key) : String(key);
    const hint = typeof key === "string" ? suggestion(key, names, hints) : undefined;
    throw new TypeError(`${where}: unknown ${noun} ${name}${hint === undefined ? "" : `; did you mean ${hint}?`} (${noun}s: ${names.join(", ")})`);
  }
  return options;
}

/** Refuses `value` (named by `what`) when it is set and not of `kind`: a TypeError, or INVALID_ARGUMENT for a string the request carries. */
function checkKind(what: string, value: unknown, kind: OptionKind): void {
  if (value === undefined || kind === "checked") return;
  if (kind === "string") {
    checkedString(what, value);
    return;
  }
  if (kind === "strings") {
    checkedStrings(what, value);
    return;
  }
  if (typeof kind !== "string") {
    if (typeof value !== "string" || !kind.includes(value)) throw new TypeError(`${what} must be ${kind.map((k) => JSON.stringify(k)).join(" or ")}, got ${describe(value)}`);
    return;
  }
  const ok =
    kind === "boolean" ? typeof value === "boolean"
    : kind === "number" ? typeof value === "number"
    : kind === "function" ? typeof value === "function"
    : kind === "signal" ? typeof AbortSignal !== "undefined" && value instanceof AbortSignal
    : typeof value === "object" && value !== null && !Array.isArray(value);
  if (!ok) throw new TypeError(`${what} must be ${KIND_WORDS[kind]}, got ${describe(value)}`);
}

/** How an error message says what a kind is. */
const KIND_WORDS: Readonly<Record<"boolean" | "number" | "function" | "signal" | "object", string>> = {
  boolean: "true or false",
  number: "a number",
  function: "a function",
  signal: "an AbortSignal",
  object: "an object",
};

/**
 * `value` when it is a string; else INVALID_ARGUMENT naming `what` (`query
 * on users: select() field path 0`). Every string the SDK puts in a request
 * (collection names, ids, field paths, filters, tokens) passes here: the
 * encoder turned a number into its digits and an object into `[object
 * Object]` without a word, and failed on a symbol as INTERNAL.
 */
export function checkedString(what: string, value: unknown): string {
  if (typeof value !== "string") throw new ConnectError(`${what} must be a string, got ${describe(value)}`, Code.InvalidArgument);
  return value;
}

/** `values` when it is an array of strings; else INVALID_ARGUMENT naming `what` and, for an element, its index. */
export function checkedStrings(what: string, values: unknown): string[] {
  if (!Array.isArray(values)) throw new ConnectError(`${what} must be an array of strings, got ${describe(values)}`, Code.InvalidArgument);
  values.forEach((value: unknown, i) => checkedString(`${what}[${i}]`, value));
  return values as string[];
}

/** The known name `key` most likely meant: a hint, the same name in other case, or the nearest within SUGGESTION_EDITS_MAX edits. */
export function suggestion(key: string, names: readonly string[], hints: Readonly<Record<string, string>> = {}): string | undefined {
  if (Object.hasOwn(hints, key)) return hints[key];
  const lower = key.toLowerCase();
  const sameCase = names.find((n) => n.toLowerCase() === lower);
  if (sameCase !== undefined) return sameCase;
  if (key.length > SUGGESTION_NAME_CHARS_MAX) return undefined;
  let best: { name: string; edits: number } | undefined;
  for (const name of names) {
    // A short key is close to every short name: allow one edit per three letters, at most SUGGESTION_EDITS_MAX.
    const allowed = Math.min(SUGGESTION_EDITS_MAX, Math.floor(Math.min(key.length, name.length) / 3));
    const edits = editDistance(lower, name.toLowerCase());
    if (edits <= allowed && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best?.name;
}

/**
 * Optimal string alignment distance: insertions, deletions, substitutions
 * and swaps of neighbours each count one (`precondtion` is one from
 * `precondition`, `versoin` one from `version`). Both strings are at most
 * SUGGESTION_NAME_CHARS_MAX long here.
 */
function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = d;
    }
  }
  return rows[a.length]![b.length]!;
}

/** A value as an error message shows it: strings quoted, bigints with their n. */
export function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  if (typeof value === "object") return "an object";
  if (typeof value === "function") return "a function";
  return String(value);
}
