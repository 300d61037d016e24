/**
 * QueryParser: turns the structured filter (`Query.where`) and the AIP-160
 * text filter (`Query.filter`) into one validated expression tree. Unknown
 * fields are fine (they are simply missing from documents); unknown
 * operators, operands of the wrong type and malformed field paths are
 * INVALID_ARGUMENT, and the message says where (the message path of the
 * structured filter, or the character offset in the text).
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { CompositeFilter_Operator, FieldFilter_Operator, type FieldFilter, type Filter } from "../../gen/impossibledb/v1/query_pb.js";
import { FailureError } from "../errors.js";
import { FILTER_DEPTH_MAX, FILTER_LIST_VALUES_MAX, FILTER_NODES_MAX } from "../limits.js";
import { parseFieldPath, type FieldPath } from "../validation/field-path.js";
import { parseTextFilter } from "./aip160.js";
import { MATCH_ALL, allOf, nodeCount, type CompareOp, type Expr } from "./expression.js";
import { jsonFromValue } from "./proto-values.js";
import type { Value as TypedValue } from "../../gen/impossibledb/v1/document_pb.js";
import { jsonFromTyped } from "../values/proto-typed.js";
import { rankOf, RANK_ARRAY, RANK_MAP } from "./values.js";

/** Parses and validates a query's filters into one tree (MATCH_ALL when there are none). */
export function parseQueryFilter(where: Filter | undefined, text: string): Expr {
  const parts: Expr[] = [];
  if (where !== undefined) parts.push(parseStructured(where, "where", 1, { nodes: 0 }));
  if (text.trim() !== "") parts.push(parseTextFilter(text));
  const expr = parts.length === 0 ? MATCH_ALL : allOf(parts);
  const nodes = nodeCount(expr);
  if (nodes > FILTER_NODES_MAX) throw invalid(`the filter has ${nodes} nodes, over FILTER_NODES_MAX (${FILTER_NODES_MAX})`);
  return expr;
}

/** Parses a field path, naming `where` in the error. */
export function fieldPathFrom(text: string, where: string): FieldPath {
  const parsed = parseFieldPath(text);
  if (!parsed.ok) throw invalid(`${where}: ${parsed.message}`);
  return parsed.path;
}

// Nodes are counted as they are parsed, so a huge filter is refused before
// it is all converted.
function parseStructured(filter: Filter, where: string, depth: number, count: { nodes: number }): Expr {
  if (depth > FILTER_DEPTH_MAX) throw invalid(`${where}: filters nest deeper than FILTER_DEPTH_MAX (${FILTER_DEPTH_MAX})`);
  if (++count.nodes > FILTER_NODES_MAX) throw invalid(`${where}: the filter has more than FILTER_NODES_MAX (${FILTER_NODES_MAX}) nodes`);
  const f = filter.filterType;
  switch (f.case) {
    case "fieldFilter":
      return parseFieldFilter(f.value, `${where}.field_filter`);
    case "compositeFilter": {
      const at = `${where}.composite_filter`;
      const children = f.value.filters.map((c, i) => parseStructured(c, `${at}.filters[${i}]`, depth + 1, count));
      if (children.length === 0) throw invalid(`${at}.filters: at least one filter is required`);
      if (f.value.op === CompositeFilter_Operator.AND) return { kind: "and", children };
      if (f.value.op === CompositeFilter_Operator.OR) return { kind: "or", children };
      throw invalid(`${at}.op: unknown operator ${f.value.op}; use AND or OR`);
    }
    case "notFilter": {
      const inner = f.value.filter;
      if (inner === undefined) throw invalid(`${where}.not_filter.filter is required`);
      return { kind: "not", child: parseStructured(inner, `${where}.not_filter.filter`, depth + 1, count) };
    }
    case undefined:
      throw invalid(`${where}: a filter must set field_filter, composite_filter or not_filter`);
  }
}

const COMPARE_OPS: Partial<Record<FieldFilter_Operator, CompareOp>> = {
  [FieldFilter_Operator.EQUAL]: "==",
  [FieldFilter_Operator.NOT_EQUAL]: "!=",
  [FieldFilter_Operator.LESS_THAN]: "<",
  [FieldFilter_Operator.LESS_THAN_OR_EQUAL]: "<=",
  [FieldFilter_Operator.GREATER_THAN]: ">",
  [FieldFilter_Operator.GREATER_THAN_OR_EQUAL]: ">=",
};

function parseFieldFilter(ff: FieldFilter, where: string): Expr {
  const path = fieldPathFrom(ff.field, `${where}.field`);
  if (ff.value !== undefined && ff.typedValue !== undefined) throw invalid(`${where}: give value or typed_value, not both`);
  const at = ff.typedValue !== undefined ? `${where}.typed_value` : `${where}.value`;
  const operand = ff.typedValue !== undefined ? typedOperand(ff.typedValue, at) : ff.value === undefined ? undefined : jsonFromValue(ff.value, at);
  const compareOp = COMPARE_OPS[ff.op];
  if (compareOp !== undefined) {
    if (operand === undefined) throw invalid(`${at} is required for ${FieldFilter_Operator[ff.op]}`);
    return compareNode(path, compareOp, operand, at);
  }
  switch (ff.op) {
    case FieldFilter_Operator.IN:
    case FieldFilter_Operator.NOT_IN:
      return { kind: "in", path, values: listOperand(operand, at, FieldFilter_Operator[ff.op]), negated: ff.op === FieldFilter_Operator.NOT_IN };
    case FieldFilter_Operator.ARRAY_CONTAINS:
      if (operand === undefined) throw invalid(`${at} is required for ARRAY_CONTAINS`);
      return { kind: "contains", path, values: [operand] };
    case FieldFilter_Operator.ARRAY_CONTAINS_ANY:
      return { kind: "contains", path, values: listOperand(operand, at, "ARRAY_CONTAINS_ANY") };
    case FieldFilter_Operator.EXISTS:
      if (operand !== undefined && typeof operand !== "boolean") throw invalid(`${at}: EXISTS takes true, false or no value`);
      return { kind: "exists", path, present: operand !== false };
    default:
      throw invalid(`${where}.op: unknown operator ${ff.op}`);
  }
}

/**
 * A typed operand (values/proto-typed.ts). The typed form has no list
 * type of its own, so IN, NOT_IN and ARRAY_CONTAINS_ANY take an array
 * value, which listOperand unwraps like a Struct list.
 */
function typedOperand(value: TypedValue, where: string): JsonValue {
  return jsonFromTyped(value, where);
}

/** A comparison node, refusing range operands that have no order of their own. */
export function compareNode(path: FieldPath, op: CompareOp, value: JsonValue, where: string): Expr {
  const rank = rankOf(value);
  if (op !== "==" && op !== "!=" && (rank === RANK_ARRAY || rank === RANK_MAP)) {
    throw invalid(`${where}: ${op} takes a value with an order of its own (null, a boolean, a number, a timestamp, a string, bytes, a reference or a geo point), not ${rank === RANK_ARRAY ? "an array" : "a map"}`);
  }
  return { kind: "compare", path, op, value };
}

/** Checks a list operand of IN, NOT_IN or ARRAY_CONTAINS_ANY. */
export function listOperand(operand: JsonValue | undefined, where: string, op: string): JsonValue[] {
  if (!Array.isArray(operand)) throw invalid(`${where}: ${op} takes a list of values`);
  if (operand.length === 0) throw invalid(`${where}: ${op} takes at least one value`);
  if (operand.length > FILTER_LIST_VALUES_MAX) {
    throw invalid(`${where}: ${op} has ${operand.length} values, over FILTER_LIST_VALUES_MAX (${FILTER_LIST_VALUES_MAX})`);
  }
  return operand;
}

function invalid(message: string): FailureError {
  return new FailureError("invalid_argument", message);
}
