/**
 * What to write instead, in AIP-160 text (aip160.ts), for what a user
 * types first and the text has no form for: SQL's `x IS NULL`, `x IS NOT
 * NULL`, `x IN (1, 2)`, `x NOT IN [1, 2]` and `x IN 5`; a list after an
 * operator (`x = [1, 2]`, `x:(1, 2)`); a comma between conditions (`a = 1,
 * b = 2`). Each message names the user's own field and, for a short list of
 * plain values, the user's own values, so the suggestion after "write" can
 * be pasted back as it is (test/unit/query/filter-advice.test.ts parses
 * every one).
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
  const spell = (values: readonly string[]): string => spellTerms(path, ` ${op} `, values, join);
  if (items === null) return `AIP-160 has no ${sql} operator: write ${spell(["1", "2"])}, or ${structured}`;
  if (items.length === 0) return `AIP-160 has no ${sql} operator, and the list is empty (${operator} takes at least one value): write ${spell(["1", "2"])} with your values, or ${structured}`;
  if (negated && items.some((item) => item.value === null)) {
    const others = items.filter((item) => item.value !== null).map((item) => item.spelled);
    const instead = others.length === 0 ? `for a field that holds a value other than null, write ${path} != null` : `without null, write ${spell(others)}`;
    return `AIP-160 has no NOT IN operator, and a NOT IN whose list holds null matches nothing (as in SQL and ${operator}); ${instead}`;
  }
  return `AIP-160 has no ${sql} operator: write ${spell(items.map((item) => item.spelled))}, or ${structured}`;
}

/** `path op value` for each value (the first two past LIST_ITEMS_SHOWN_MAX), joined, in parentheses when several. */
function spellTerms(path: string, op: string, values: readonly string[], join: string): string {
  const terms = values.slice(0, values.length > LIST_ITEMS_SHOWN_MAX ? 2 : values.length).map((value) => `${path}${op}${value}`);
  return terms.length === 1 ? terms[0]! : `(${terms.join(join)})`;
}

/**
 * SQL's IN with what follows it: a list (listAdvice), or one value where
 * the list goes (`n IN 5`, when `single`), which reads as `n = 5` (`n != 5`
 * for NOT IN; a NOT IN of null keeps listAdvice's words: it matches
 * nothing).
 */
export function inAdvice(path: string, items: readonly ListItem[] | null, negated: boolean, single: boolean): string {
  const item = single ? items?.[0] : undefined;
  if (item === undefined || (negated && item.value === null)) return listAdvice(path, items, negated);
  const [sql, op, operator] = negated ? ["NOT IN", "!=", "OPERATOR_NOT_IN"] : ["IN", "=", "OPERATOR_IN"];
  return `AIP-160 has no ${sql} operator, and ${sql} takes a list, not one value: write ${path} ${op} ${item.spelled}, or use the structured filter's ${operator} (docs/queries.md)`;
}

/** An operator a list can follow (`x = [1, 2]`, `x:(1, 2)`). */
export type ListOperator = "=" | "!=" | "<" | "<=" | ">" | ">=" | ":";

/**
 * Why `path <op>` followed by a list is refused and what to write: `:` and
 * the comparisons take one value. For `:` (an array holds the value) the
 * values ORed (any of them) or ANDed (all of them); for `=` ORed, or
 * OPERATOR_IN; for `!=` ANDed, or OPERATOR_NOT_IN; for an ordering, one
 * value. `items` null (not one plain list, e.g. `x = (1 OR 2)`): the form
 * with placeholders and the user's field.
 */
export function operatorListAdvice(path: string, op: ListOperator, items: readonly ListItem[] | null): string {
  const values = items === null || items.length === 0 ? ["1", "2"] : items.map((item) => item.spelled);
  const yours = items === null || items.length === 0 ? " with your values" : "";
  const head = `${op === ":" ? `${path}:` : `${path} ${op}`} takes one value, not a list`;
  if (values.length === 1) return `${head}: write ${spellTerms(path, op === ":" ? ":" : ` ${op} `, values, "")}`;
  switch (op) {
    case ":":
      return `${head}: for an array that holds any of them write ${spellTerms(path, ":", values, " OR ")}${yours}, or for all of them ${spellTerms(path, ":", values, " AND ").replace(/^\((.*)\)$/, "$1")}`;
    case "=":
      return `${head}: for any of them write ${spellTerms(path, " = ", values, " OR ")}${yours}, or use the structured filter's OPERATOR_IN (docs/queries.md)`;
    case "!=":
      return `${head}: for none of them write ${spellTerms(path, " != ", values, " AND ")}${yours}, or use the structured filter's OPERATOR_NOT_IN (docs/queries.md)`;
    default:
      return `${head}: to compare with one of them, write ${path} ${op} ${values[0]}${yours}`;
  }
}

/**
 * Why a comma between two conditions is refused: AIP-160 joins them with
 * AND (both hold) or OR (either holds). `rewrites`: the user's filter with
 * the comma as each, when both parse; else the form with placeholders.
 * A comma with nothing after it (`trailing`) is told to go.
 */
export function commaAdvice(rewrites: { readonly and: string; readonly or: string } | null, trailing: boolean): string {
  if (trailing) return "a comma does not join conditions, and no condition follows this one: remove it";
  if (rewrites === null) return "a comma does not join conditions; put AND (both hold) or OR (either holds) in its place, as in: write a = 1 AND b = 2, or a = 1 OR b = 2";
  return `a comma does not join conditions: for both write ${rewrites.and}, or for either ${rewrites.or}`;
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
