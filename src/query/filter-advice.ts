/**
 * What to write instead, in AIP-160 text (aip160.ts), for the SQL a user
 * types first and the text has no form for: `x IS NULL`, `x IS NOT NULL`,
 * `x IN (1, 2)` and `x NOT IN [1, 2]`. Each message names the user's own
 * field and, for a short list of plain values, the user's own values, so
 * the suggestion can be pasted back as it is.
 */
import type { JsonValue } from "@bufbuild/protobuf";

/** Items of a list spelled out in a suggestion; past it the suggestion shows the first two and OPERATOR_IN is the better form. */
const LIST_ITEMS_SHOWN_MAX = 4;

/** One value of a SQL list, as the user spelled it (aip160.ts reads it as a filter value, so the spelling parses). */
export interface ListItem {
  readonly spelled: string;
  readonly value: JsonValue;
}

/**
 * Why `path IN list` (or `path NOT IN list`, when `negated`) is refused and
 * what to write, with the user's field and values: ORed `=` (ANDed `!=`,
 * which, like NOT_IN, match only a field holding another value than null),
 * or the structured filter's operator. `items` is null when the text after
 * IN is not one plain list; the suggestion then shows the form with the
 * user's field. A NOT IN whose list holds null matches nothing, in SQL and
 * as OPERATOR_NOT_IN, while ANDed `!=` would match: the advice says so and
 * spells the list without null. `= null` matches a field holding null, as
 * OPERATOR_IN with null does, so an IN's null stays in its suggestion.
 */
export function listAdvice(path: string, items: readonly ListItem[] | null, negated: boolean): string {
  const [sql, op, join, operator] = negated ? ["NOT IN", "!=", " AND ", "OPERATOR_NOT_IN"] : ["IN", "=", " OR ", "OPERATOR_IN"];
  const structured = `use the structured filter's ${operator} (docs/queries.md)`;
  const spell = (values: readonly string[]): string => {
    const terms = values.slice(0, values.length > LIST_ITEMS_SHOWN_MAX ? 2 : values.length).map((value) => `${path} ${op} ${value}`);
    return terms.length === 1 ? terms[0]! : `(${terms.join(join)})`;
  };
  if (items === null) return `AIP-160 has no ${sql} operator: write ${spell(["1", "2"])}, or ${structured}`;
  if (items.length === 0) return `AIP-160 has no ${sql} operator, and the list is empty (${operator} takes at least one value): write ${spell(["1", "2"])} with your values, or ${structured}`;
  if (negated && items.some((item) => item.value === null)) {
    const others = items.filter((item) => item.value !== null).map((item) => item.spelled);
    const instead = others.length === 0 ? `for a field that holds a value other than null, write ${path} != null` : `without null, write ${spell(others)}`;
    return `AIP-160 has no NOT IN operator, and a NOT IN whose list holds null matches nothing (as in SQL and ${operator}); ${instead}`;
  }
  return `AIP-160 has no ${sql} operator: write ${spell(items.map((item) => item.spelled))}, or ${structured}`;
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
