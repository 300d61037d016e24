/**
 * What to write instead, in AIP-160 text (aip160.ts), for the SQL a user
 * types first and the text has no form for: `x IS NULL`, `x IS NOT NULL`,
 * `x IN (1, 2)` and `x NOT IN [1, 2]`. Each message names the user's own
 * field and, for a short list of plain values, the user's own values, so
 * the suggestion can be pasted back as it is.
 */

/** Items of a list shown in a suggestion; a longer list is better sent as OPERATOR_IN. */
const LIST_ITEMS_SHOWN_MAX = 4;

/** One list item: a quoted string (with its escapes) or a run of plain characters. */
const LIST_ITEM = /\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,()[\]"']+)\s*/y;

/**
 * The items of the list at `start` in `text` (`(1, "a")` or `[1, "a"]`, after
 * optional spaces) as written, or null when there is no plain list there
 * or it holds more than LIST_ITEMS_SHOWN_MAX items.
 */
function listItems(text: string, start: number): string[] | null {
  const open = /\s*([[(])/y;
  open.lastIndex = start;
  const opened = open.exec(text);
  if (opened === null) return null;
  const close = opened[1] === "(" ? ")" : "]";
  const items: string[] = [];
  let i = open.lastIndex;
  for (;;) {
    if (items.length === LIST_ITEMS_SHOWN_MAX) return null;
    LIST_ITEM.lastIndex = i;
    const item = LIST_ITEM.exec(text);
    if (item === null) return null;
    items.push(item[1]!);
    i = LIST_ITEM.lastIndex;
    if (text[i] === close) return items;
    if (text[i] !== ",") return null;
    i++;
  }
}

/**
 * Why `path IN list` (or `path NOT IN list`, when `negated`) is refused and
 * what to write: ORed `=` (ANDed `!=`, which, like NOT_IN, match only a field
 * holding another value than null), or the structured filter's operator.
 * `listAt` is where the list starts in `text`.
 */
export function listAdvice(text: string, path: string, listAt: number, negated: boolean): string {
  const items = listItems(text, listAt) ?? ["1", "2"];
  const [op, join, operator] = negated ? ["!=", " AND ", "OPERATOR_NOT_IN"] : ["=", " OR ", "OPERATOR_IN"];
  const terms = items.map((item) => `${path} ${op} ${item}`);
  const written = terms.length === 1 ? terms[0]! : `(${terms.join(join)})`;
  return `AIP-160 has no ${negated ? "NOT IN" : "IN"} operator: write ${written}, or use the structured filter's ${operator} (docs/queries.md)`;
}

/**
 * Why SQL's `path IS NULL` (or `IS NOT NULL`, when `negated`) is refused and
 * what to write. As in the structured filter, `= null` matches a field that
 * holds null, not a missing one (NOT path:* matches that), and `!= null` a
 * field that holds any other value.
 */
export function isNullAdvice(path: string, negated: boolean): string {
  return negated
    ? `IS NOT NULL is not an operator here; write ${path} != null (a field that holds a value other than null)`
    : `IS NULL is not an operator here; write ${path} = null (a field that holds null; NOT ${path}:* matches a missing one)`;
}
