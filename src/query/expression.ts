/**
 * The validated expression tree every filter becomes, whichever syntax it
 * came in (the structured `Query.where` or the AIP-160 `Query.filter`).
 * Shards evaluate it in SQL (`sql-filter.ts`) and, where SQL cannot say it
 * exactly, in JavaScript (`evaluate.ts`).
 *
 * Semantics, identical everywhere:
 * - a path reaches into maps only; it never indexes into arrays;
 * - a missing field matches no comparison, IN, NOT_IN or ARRAY_CONTAINS;
 *   it matches only `exists false` and, through NOT, what it negates;
 * - `==`/`!=`/IN compare deeply (`values.ts`); `!=` and NOT_IN need the
 *   field to hold a value other than null, and a NOT_IN whose list holds
 *   null matches nothing (Firestore's rule: "the field exists, is not null,
 *   and does not match any of the comparison values");
 * - `<`, `<=`, `>`, `>=` match only values of the operand's own type rank
 *   (a number is never less than a string), and their operand must be
 *   any value but an array or a map;
 * - ARRAY_CONTAINS(_ANY) match arrays holding an element equal to (one of)
 *   the operand(s).
 */
import type { JsonValue } from "@bufbuild/protobuf";
import type { FieldPath } from "../validation/field-path.js";

/**
 * The version of the matching rules above, carried in Listen's resume
 * tokens: a token of another version answers OUT_OF_RANGE (the listener's
 * view may hold documents that no longer match, which resuming would never
 * remove); and in query, search and geo page tokens (token-semantics.ts):
 * one of another version answers INVALID_ARGUMENT, as its walk would go on
 * under another filter. 1: `!=` and NOT_IN matched null; 2 (2026-12-02): they leave it
 * out, as Firestore's do. Raise it whenever what a filter matches changes.
 */
export const FILTER_SEMANTICS_VERSION = 2;

/** The pseudo-field that names the document id in filters and orders. */
export const ID_FIELD = "__id__";

/** The comparison operators. */
export type CompareOp = "==" | "!=" | "<" | "<=" | ">" | ">=";

/** A node of a filter. */
export type Expr =
  | { readonly kind: "and"; readonly children: readonly Expr[] }
  | { readonly kind: "or"; readonly children: readonly Expr[] }
  | { readonly kind: "not"; readonly child: Expr }
  | { readonly kind: "compare"; readonly path: FieldPath; readonly op: CompareOp; readonly value: JsonValue }
  | { readonly kind: "in"; readonly path: FieldPath; readonly values: readonly JsonValue[]; readonly negated: boolean }
  | { readonly kind: "contains"; readonly path: FieldPath; readonly values: readonly JsonValue[] }
  | { readonly kind: "exists"; readonly path: FieldPath; readonly present: boolean };

/** The filter that matches every document. */
export const MATCH_ALL: Expr = { kind: "and", children: [] };

/**
 * True when `e` is the filter that matches every document (an AND of
 * nothing). By shape, not identity: a filter that crossed Workers RPC is a
 * structured clone, never MATCH_ALL itself (a search's shards took every
 * unfiltered query for a filtered one and loaded its page a row at a time).
 */
export function matchesEverything(e: Expr): boolean {
  return e === MATCH_ALL || (e.kind === "and" && e.children.length === 0);
}

/** True when `path` is the document-id pseudo-field. */
export function isIdPath(path: FieldPath): boolean {
  return path.length === 1 && path[0] === ID_FIELD;
}

/** ANDs filters together, flattening nested ANDs. */
export function allOf(filters: readonly Expr[]): Expr {
  const children = filters.flatMap((f) => (f.kind === "and" ? f.children : [f]));
  return children.length === 1 ? children[0]! : { kind: "and", children };
}

/** The number of nodes in a tree, to bound work. */
export function nodeCount(expr: Expr): number {
  switch (expr.kind) {
    case "and":
    case "or":
      return 1 + expr.children.reduce((n, c) => n + nodeCount(c), 0);
    case "not":
      return 1 + nodeCount(expr.child);
    default:
      return 1;
  }
}
