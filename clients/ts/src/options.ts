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
 */

/** How a check names what it refused: "option" for an options bag, "field" for a value's members (a precondition). */
export type KeyNoun = "option" | "field";

/** Keys at most this many edits away from a known one get a "did you mean"; farther ones are not the same word. */
const SUGGESTION_EDITS_MAX = 2;

/** Names longer than this are not compared letter by letter (the distance is quadratic in them). */
const SUGGESTION_NAME_CHARS_MAX = 64;

/**
 * Refuses any own key of `options` that is not in `names`, with a
 * TypeError: `${where}: unknown option "precondtion"; did you mean
 * precondition? (options: precondition, mask)`. `hints` maps common names
 * from other clients (`url`) to this SDK's (`baseUrl`). `undefined` passes
 * (no options); anything else that is not an object is refused.
 * @returns `options`, so a call can check and use it in one expression.
 */
export function checkOptions<T extends object>(
  where: string,
  options: T | undefined,
  names: ReadonlyArray<keyof T & string>,
  hints: Readonly<Record<string, string>> = {},
  noun: KeyNoun = "option",
): T | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: the ${noun}s must be an object (${noun}s: ${names.join(", ")}), got ${describe(options)}`);
  }
  const known: ReadonlySet<string> = new Set(names);
  // Symbol keys are not options either; Reflect.ownKeys sees them too.
  for (const key of Reflect.ownKeys(options)) {
    if (typeof key === "string" && known.has(key)) continue;
    const name = typeof key === "string" ? JSON.stringify(key) : String(key);
    const hint = typeof key === "string" ? suggestion(key, names, hints) : undefined;
    throw new TypeError(`${where}: unknown ${noun} ${name}${hint === undefined ? "" : `; did you mean ${hint}?`} (${noun}s: ${names.join(", ")})`);
  }
  return options;
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
  return String(value);
}
