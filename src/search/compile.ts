/**
 * Compiles a parsed search (query-parser.ts), with the typo expansions the
 * statistics pass found, into an FTS5 query expression and the list of its
 * phrases in the order FTS5 numbers them (the order they appear in the
 * expression), which is the order BM25 sums over (bm25.ts).
 *
 * Every phrase is our tokens between double quotes; tokens hold only
 * letters and digits (tokenizer.ts), so nothing a user typed can be FTS5
 * syntax. A term with typo variants becomes `("term" OR "variant" ...)`;
 * a prefix term `"foo" *`; AND of children with exclusions becomes
 * `((a AND b) NOT (c)) NOT (d)` (FTS5's NOT is binary, and binds tightest,
 * so every group is parenthesised).
 */
import type { SearchNode } from "./query-parser.js";

/** One FTS5 phrase of a compiled query. */
export interface CompiledPhrase {
  readonly tokens: readonly string[];
  readonly prefix: boolean;
}

/**
 * The compiled expression's shape, with phrases by their index: scoring
 * needs it to count a phrase's instances only where FTS5's bm25() does
 * (bm25.ts, `countedPhrases`).
 */
export type CompiledNode =
  | { readonly kind: "phrase"; readonly index: number }
  | { readonly kind: "and" | "or"; readonly children: readonly CompiledNode[] }
  | { readonly kind: "not"; readonly left: CompiledNode; readonly right: CompiledNode };

/** A compiled query. */
export interface CompiledSearch {
  /** The expression's shape (the same as `match`). */
  readonly tree: CompiledNode;
  /** The FTS5 MATCH expression. */
  readonly match: string;
  /** Its phrases, in FTS5's order. */
  readonly phrases: CompiledPhrase[];
  /** Per phrase: true when it is under a NOT (never highlighted). */
  readonly negated: boolean[];
}

/** The key of a term in the expansion map. */
export type Expansions = ReadonlyMap<string, readonly string[]>;

/** The terms that get typo tolerance: single-token, unquoted, non-prefix, outside NOT, long enough. */
export function typoTerms(node: SearchNode, minLength: number): string[] {
  const out = new Set<string>();
  const walk = (n: SearchNode): void => {
    if (n.kind === "phrase") {
      if (n.tokens.length === 1 && !n.prefix && n.quoted !== true && [...n.tokens[0]!].length >= minLength) out.add(n.tokens[0]!);
    } else if (n.kind === "and" || n.kind === "or") {
      n.children.forEach(walk);
    }
  };
  walk(node);
  return [...out];
}

/** Every phrase of the query before expansion, in order (negated ones included). */
export function basePhrases(node: SearchNode): CompiledPhrase[] {
  return compileSearch(node, new Map()).phrases;
}

/** Compiles `node` with `expansions` (term -> its variants, not including itself). */
export function compileSearch(node: SearchNode, expansions: Expansions): CompiledSearch {
  const phrases: CompiledPhrase[] = [];
  const negatedFlags: boolean[] = [];
  let negatedNow = false;
  const quote = (p: CompiledPhrase): [string, CompiledNode] => {
    for (const t of p.tokens) if (!/^[\p{L}\p{N}]+$/u.test(t)) throw new Error("invariant broken: search tokens are letters and digits");
    phrases.push(p);
    negatedFlags.push(negatedNow);
    return [`"${p.tokens.join(" ")}"${p.prefix ? " *" : ""}`, { kind: "phrase", index: phrases.length - 1 }];
  };
  const group = (kind: "and" | "or", parts: Array<[string, CompiledNode]>): [string, CompiledNode] =>
    parts.length === 1 ? parts[0]! : [`(${parts.map((p) => p[0]).join(kind === "and" ? " AND " : " OR ")})`, { kind, children: parts.map((p) => p[1]) }];
  const walk = (n: SearchNode, negated: boolean): [string, CompiledNode] => {
    negatedNow = negated;
    switch (n.kind) {
      case "phrase": {
        const variants = !negated && n.tokens.length === 1 && !n.prefix ? expansions.get(n.tokens[0]!) ?? [] : [];
        if (variants.length === 0) return quote({ tokens: n.tokens, prefix: n.prefix });
        return group("or", [n.tokens[0]!, ...variants].map((t) => quote({ tokens: [t], prefix: false })));
      }
      case "or":
        return group("or", n.children.map((c) => walk(c, negated)));
      case "and": {
        const positive = n.children.filter((c) => c.kind !== "not");
        const negative = n.children.filter((c): c is Extract<SearchNode, { kind: "not" }> => c.kind === "not");
        if (positive.length === 0) throw new Error("invariant broken: the parser refuses an AND that only excludes");
        let result = group("and", positive.map((c) => walk(c, negated)));
        for (const neg of negative) {
          const right = walk(neg.child, !negated);
          result = [`(${result[0]} NOT ${right[0]})`, { kind: "not", left: result[1], right: right[1] }];
        }
        return result;
      }
      case "not":
        throw new Error("invariant broken: NOT is compiled by its AND");
    }
  };
  const [match, tree] = walk(node, false);
  return { match, tree, phrases, negated: negatedFlags };
}

/** A phrase as text, for Explain. */
export function phraseText(p: CompiledPhrase): string {
  return `${p.tokens.join(" ")}${p.prefix ? "*" : ""}`;
}
