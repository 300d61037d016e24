/**
 * The AIP-160 text filter (https://google.aip.dev/160), the subset that
 * maps onto the expression tree:
 *
 *   expression  = sequence { "AND" sequence }
 *   sequence    = factor { factor }            (juxtaposition is AND)
 *   factor      = term { "OR" term }           (OR binds tighter than AND, as AIP-160 says)
 *   term        = [ "NOT" | "-" ] simple
 *   simple      = "(" expression ")" | restriction
 *   restriction = path ( "=" | "!=" | "<" | "<=" | ">" | ">=" ) value
 *               | path ":" "*"                 (the field exists)
 *               | path ":" value               (the array field contains value)
 *   value       = string | number | true | false | null
 *               | "int(" integer ")"           (a typed int64 integer)
 *               | "timestamp(" string ")"      (a typed timestamp, RFC 3339)
 *
 * Strings take double or single quotes and JSON escapes. A number is
 * decimal (filter-number.ts refuses hexadecimal, digit separators and
 * literals no double holds, such as 1e400 and 1e-400) and a
 * double, as in the JSON form (so `n = 9007199254740993` compares the
 * double 9007199254740992, as it always did); `int(9007199254740993)` is
 * the typed integer (values/typed.ts), exact, and
 * `timestamp("2026-11-30T15:04:05.123456Z")` a typed timestamp (any RFC
 * 3339 offset; finer than a microsecond is refused). Integers and doubles
 * compare as numbers, so `int(5)` and `5` match the same documents. Paths use the
 * field-path grammar (`a.b`, `` `odd name`.c ``). Every error names the
 * character offset where parsing stopped; SQL's IN, NOT IN and IS [NOT]
 * NULL, a list after an operator and a comma between conditions are
 * refused with what to write instead (aip160-lists.ts, filter-advice.ts).
 *
 * This file is the grammar; aip160-lexer.ts makes its tokens (and refuses
 * literals spelled as other languages spell them), aip160-lists.ts reads
 * what a list or a comma was meant to say.
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { FILTER_DEPTH_MAX } from "../limits.js";
import { parseFieldPath, type FieldPath } from "../validation/field-path.js";
import type { CompareOp, Expr } from "./expression.js";
import { compareNode } from "./parser.js";
import { isNullAdvice, type ListOperator } from "./filter-advice.js";
import { KEYWORDS, describe, fail, isPunct, isSqlWord, isNullLiteral, isWord, tokenize, valueOf, type Token } from "./aip160-lexer.js";
import { inFailure, operatorListFailure, stuckAt } from "./aip160-lists.js";

/** Parses an AIP-160 filter into an expression tree. */
export function parseTextFilter(text: string): Expr {
  const parser = new TextParser(tokenize(text, stuckAt(text, parses)), text);
  const expr = parser.expression(1);
  const next = parser.peek();
  if (next.kind !== "end") throw fail(next.at, `unexpected ${describe(next)}`);
  return expr;
}

/** Whether `text` parses as a filter (for advice that offers a rewrite of the user's own filter). */
function parses(text: string): boolean {
  try {
    parseTextFilter(text);
    return true;
  } catch {
    return false;
  }
}

class TextParser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
  ) {}

  peek(): Token {
    return this.tokens[this.i]!;
  }

  private take(): Token {
    return this.tokens[this.i++]!;
  }

  expression(depth: number): Expr {
    if (depth > FILTER_DEPTH_MAX) throw fail(this.peek().at, `filter nests deeper than FILTER_DEPTH_MAX (${FILTER_DEPTH_MAX})`);
    const children = [this.sequence(depth)];
    while (isWord(this.peek(), "AND")) {
      this.take();
      children.push(this.sequence(depth));
    }
    return children.length === 1 ? children[0]! : { kind: "and", children };
  }

  private sequence(depth: number): Expr {
    const children = [this.factor(depth)];
    while (startsTerm(this.peek())) children.push(this.factor(depth));
    return children.length === 1 ? children[0]! : { kind: "and", children };
  }

  private factor(depth: number): Expr {
    const children = [this.term(depth)];
    while (isWord(this.peek(), "OR")) {
      this.take();
      children.push(this.term(depth));
    }
    return children.length === 1 ? children[0]! : { kind: "or", children };
  }

  private term(depth: number): Expr {
    const t = this.peek();
    if (isWord(t, "NOT") || isPunct(t, "-")) {
      this.take();
      return { kind: "not", child: this.term(depth + 1) };
    }
    if (isPunct(t, "(")) {
      this.take();
      const inner = this.expression(depth + 1);
      const close = this.take();
      if (!isPunct(close, ")")) throw fail(close.at, `expected ")" to close the "(" at offset ${t.at}, found ${describe(close)}`);
      return inner;
    }
    return this.restriction();
  }

  private restriction(): Expr {
    const t = this.take();
    if (t.kind !== "path") throw fail(t.at, `expected a field path, found ${describe(t)}`);
    const path = pathOf(t);
    const op = this.take();
    if (isPunct(op, ":")) {
      if (isPunct(this.peek(), "*")) {
        this.take();
        return { kind: "exists", path, present: true };
      }
      // `x:(1, 2)`, `x:(1 OR 2)`: `:` takes one value (aip160-lists.ts).
      if (isPunct(this.peek(), "(")) throw operatorListFailure(this.text, t.text, ":", op.at);
      return { kind: "contains", path, values: [this.value()] };
    }
    // SQL's IN, NOT IN and IS [NOT] NULL: say what this syntax spells.
    if (isSqlWord(op, "IN")) throw inFailure(this.text, t.text, op.at, op.at + "IN".length, false);
    const next = this.peek();
    if ((isWord(op, "NOT") || isSqlWord(op, "NOT")) && isSqlWord(next, "IN")) throw inFailure(this.text, t.text, op.at, next.at + "IN".length, true);
    if (isSqlWord(op, "IS")) {
      const negated = isWord(next, "NOT") || isSqlWord(next, "NOT");
      const operand = negated ? this.tokens[this.i + 1]! : next;
      if (isNullLiteral(operand)) throw fail(op.at, isNullAdvice(t.text, negated));
      // `n IS NOT 5` asks for the opposite of `n IS 5`: advising `=` for both would invert the filter.
      throw fail(op.at, negated ? "IS NOT is not an operator here; write !=" : "IS is not an operator here; write =");
    }
    if (op.kind !== "punct" || !["=", "!=", "<", "<=", ">", ">="].includes(op.text)) {
      // `a = 1 or b = 2`: a lowercase logical word reads as a field path, and the error would be about the next token.
      const upper = t.text.toUpperCase();
      if (t.text !== upper && KEYWORDS.has(upper)) {
        throw fail(t.at, `"${t.text}" is read as a field name: the logical operators are uppercase (AND, OR, NOT); write ${upper}`);
      }
      throw fail(op.at, `expected an operator (=, !=, <, <=, >, >=, :) after the field path, found ${describe(op)}`);
    }
    // `x = (1, 2)`, `x = (1 OR 2)`: a comparison takes one value (aip160-lists.ts).
    if (isPunct(this.peek(), "(")) throw operatorListFailure(this.text, t.text, op.text as ListOperator, op.at);
    const at = this.peek().at;
    const cmp: CompareOp = op.text === "=" ? "==" : (op.text as CompareOp);
    return compareNode(path, cmp, this.value(), `filter offset ${at}`);
  }

  private value(): JsonValue {
    return valueOf(this.take());
  }
}

function pathOf(t: Token & { kind: "path" }): FieldPath {
  const parsed = parseFieldPath(t.text);
  if (!parsed.ok) throw fail(t.at, `bad field path: ${parsed.message}`);
  return parsed.path;
}

function startsTerm(t: Token): boolean {
  return t.kind === "path" || isWord(t, "NOT") || isPunct(t, "(") || isPunct(t, "-");
}

