/**
 * Evaluates a filter over one document in JavaScript. Shards use it for the
 * parts of a filter SQL cannot express exactly (deep equality on arrays and
 * maps, field names SQLite's JSON paths cannot spell); the semantics are
 * those of `expression.ts`.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { isObject } from "../validation/document-data.js";
import type { FieldPath } from "../validation/field-path.js";
import { isIdPath, type Expr } from "./expression.js";
import { compareValues, rankOf, valuesEqual } from "./values.js";

/** What a filter sees of a document. */
export interface Evaluable {
  readonly id: string;
  readonly data: JsonObject;
}

/** The value at `path` (the id for `__id__`); undefined when missing. Paths never index arrays. */
export function fieldValue(doc: Evaluable, path: FieldPath): JsonValue | undefined {
  if (isIdPath(path)) return doc.id;
  let node: JsonValue | undefined = doc.data;
  for (const segment of path) {
    if (!isObject(node) || !Object.hasOwn(node, segment)) return undefined;
    node = node[segment];
  }
  return node;
}

/** True when `doc` matches `expr`. */
export function matches(expr: Expr, doc: Evaluable): boolean {
  switch (expr.kind) {
    case "and":
      return expr.children.every((c) => matches(c, doc));
    case "or":
      return expr.children.some((c) => matches(c, doc));
    case "not":
      return !matches(expr.child, doc);
    case "exists":
      return (fieldValue(doc, expr.path) !== undefined) === expr.present;
    case "in": {
      const value = fieldValue(doc, expr.path);
      if (value === undefined) return false;
      // NOT_IN, as Firestore's: the field must hold a value other than null, and a null in the list matches nothing.
      if (expr.negated) return value !== null && !expr.values.some((v) => v === null || valuesEqual(value, v));
      return expr.values.some((v) => valuesEqual(value, v));
    }
    case "contains": {
      const value = fieldValue(doc, expr.path);
      return Array.isArray(value) && value.some((element) => expr.values.some((v) => valuesEqual(element, v)));
    }
    case "compare": {
      const value = fieldValue(doc, expr.path);
      if (value === undefined) return false;
      if (expr.op === "==") return valuesEqual(value, expr.value);
      // `!=`, as Firestore's: the field must hold a value other than null (so `!= null` is "present and not null").
      if (expr.op === "!=") return value !== null && !valuesEqual(value, expr.value);
      if (rankOf(value) !== rankOf(expr.value)) return false;
      const c = compareValues(value, expr.value);
      return expr.op === "<" ? c < 0 : expr.op === "<=" ? c <= 0 : expr.op === ">" ? c > 0 : c >= 0;
    }
  }
}
