/**
 * Lists and commas in AIP-160 text, which has neither: what the user meant
 * is read from the tokens around them, so the refusal names the form that
 * works, with the user's own field and values (filter-advice.ts words it).
 *
 * - `x IN (1, 2)`, `x NOT IN [1, 2]`, `x IN 5`: SQL's IN (listAfterIn, inAdvice);
 * - `x = [1, 2]`, `x != (1, 2)`, `x:(1, 2)`: an operator given a list
 *   (listAfterOperator, operatorListFailure);
 * - `a = 1, b = 2`: a comma between two conditions (commaFailure).
 */
import type { FailureError } from "../errors.js";
import { commaAdvice, inAdvice, operatorListAdvice, type ListOperator } from "./filter-advice.js";
import { fail, isPunct, isSqlWord, isWord, readList, readToken, skipSpaces, valueOf, type Token } from "./aip160-lexer.js";

const LIST_OPERATORS: ReadonlySet<string> = new Set(["=", "!=", "<", "<=", ">", ">=", ":"]);

/**
 * The error for a character no token starts with (the lexer's `stuck`): a
 * "[" or "," inside a list after IN or after an operator, a "," between
 * two conditions, or any other character. `parses` says whether a filter
 * text parses (the rewrites of a comma are offered only when they do).
 */
export function stuckAt(text: string, parses: (text: string) => boolean): (tokens: readonly Token[], at: number) => FailureError {
  return (tokens, at) => {
    const ch = text[at]!;
    if (ch === "," || ch === "[") {
      const list = listAfterIn(tokens);
      if (list !== null) return inFailure(text, list.path, list.inAt, list.listAt, list.negated);
      const operated = listAfterOperator(tokens, ch === "[");
      if (operated !== null) return operatorListFailure(text, operated.path, operated.op, operated.opAt);
      if (ch === ",") return commaFailure(text, tokens, at, parses);
    }
    return fail(at, `unexpected character ${JSON.stringify(ch)}`);
  };
}

/**
 * `path IN ...` (or `path NOT IN ...` when `negated`) refused with what to
 * write: a list's items, or the one value written where a list goes (`n IN
 * 5`), each read as the filter reads values, so a literal spelled wrong is
 * refused first, by name. `listAt` is just after IN.
 */
export function inFailure(text: string, path: string, inAt: number, listAt: number, negated: boolean): FailureError {
  const items = readList(text, listAt);
  if (items !== null) return fail(inAt, inAdvice(path, items, negated, false));
  const start = skipSpaces(text, listAt);
  const read = start < text.length ? readToken(text, start) : null;
  if (read !== null && (read.token.kind === "value" || read.token.kind === "path")) {
    const value = valueOf(read.token);
    return fail(inAt, inAdvice(path, [{ spelled: text.slice(start, read.end), value }], negated, true));
  }
  return fail(inAt, inAdvice(path, null, negated, false));
}

/** `path <op> (...)` or `path <op> [...]` refused with what to write (the list at or after `opAt`). */
export function operatorListFailure(text: string, path: string, op: ListOperator, opAt: number): FailureError {
  return fail(opAt, operatorListAdvice(path, op, readList(text, opAt + op.length)));
}

/**
 * The `path IN` or `path NOT IN` before a list the tokenizer stopped in
 * (at its "[" or ","), so `x IN (1, 2)` is told about IN, not about a comma.
 */
function listAfterIn(tokens: readonly Token[]): { path: string; inAt: number; listAt: number; negated: boolean } | null {
  let k = tokens.length - 1;
  // Back over the list read so far: the item before the comma (a value, or a bare word readList refuses by name) and its "(".
  if (k >= 0 && (tokens[k]!.kind === "value" || (tokens[k]!.kind === "path" && !isSqlWord(tokens[k]!, "IN")))) k--;
  if (k >= 0 && isPunct(tokens[k]!, "-")) k--;
  if (k >= 0 && isPunct(tokens[k]!, "(")) k--;
  const inToken = tokens[k];
  if (inToken === undefined || !isSqlWord(inToken, "IN")) return null;
  const before = tokens[k - 1];
  const negated = before !== undefined && (isWord(before, "NOT") || isSqlWord(before, "NOT"));
  const path = tokens[negated ? k - 2 : k - 1];
  if (path === undefined || path.kind !== "path") return null;
  return { path: path.text, inAt: negated ? before!.at : inToken.at, listAt: inToken.at + "IN".length, negated };
}

/**
 * The `path <op>` before a list the tokenizer stopped in: right after the
 * operator at a "[" (`atBracket`), or at the "," after `( value`.
 */
function listAfterOperator(tokens: readonly Token[], atBracket: boolean): { path: string; op: ListOperator; opAt: number } | null {
  let k = tokens.length - 1;
  if (!atBracket) {
    if (k >= 0 && (tokens[k]!.kind === "value" || tokens[k]!.kind === "path")) k--;
    if (k >= 0 && isPunct(tokens[k]!, "-")) k--;
    if (k < 0 || !isPunct(tokens[k]!, "(")) return null;
    k--;
  }
  const op = tokens[k];
  const path = tokens[k - 1];
  if (op === undefined || op.kind !== "punct" || !LIST_OPERATORS.has(op.text) || path === undefined || path.kind !== "path") return null;
  return { path: path.text, op: op.text as ListOperator, opAt: op.at };
}

/**
 * A "," between two conditions (`a = 1, b = 2`): the filter with that comma
 * as AND and as OR, when it is the filter's only comma and both parse
 * (`parses` is the parser, passed in: this module sits below it; one comma
 * only, so checking a rewrite never meets another comma to rewrite); else
 * the form with placeholders.
 */
function commaFailure(text: string, tokens: readonly Token[], at: number, parses: (text: string) => boolean): FailureError {
  const joined = (word: string) => `${text.slice(0, at).trimEnd()} ${word} ${text.slice(at + 1).trimStart()}`;
  const only = tokens.length > 0 && !text.includes(",", at + 1);
  const rewrites = only && parses(joined("AND")) && parses(joined("OR")) ? { and: joined("AND"), or: joined("OR") } : null;
  return fail(at, commaAdvice(rewrites, text.slice(at + 1).trim() === ""));
}
