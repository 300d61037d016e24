/**
 * Turns the wire `Query` and aggregation request into validated specs.
 * The protos' own rules (buf.validate) have run already; these are the
 * checks they cannot express: the collection grammar, field paths, sort
 * keys SQL can spell, offsets and aggregate fields.
 */
import type { Aggregation, Query } from "../../gen/impossibledb/v1/query_pb.js";
import { Aggregation_Function, Order_Direction } from "../../gen/impossibledb/v1/query_pb.js";
import { FailureError } from "../errors.js";
import { MASK_PATHS_MAX, QUERY_OFFSET_MAX } from "../limits.js";
import { formatFieldPath, type FieldPath } from "../validation/field-path.js";
import { checkCollection } from "../validation/refs.js";
import type { AggregateFunction, AggregateSpec } from "./aggregator.js";
import type { QuerySpec } from "./executor.js";
import { fieldPathFrom, parseQueryFilter } from "./parser.js";
import { isSqlRepresentable } from "./sql-path.js";

/** The validated spec of a query. */
export function querySpecFrom(query: Query): QuerySpec {
  const problem = checkCollection(query.collection);
  if (problem !== null) throw new FailureError(problem.kind, `query.collection: ${problem.message}`);
  if (query.offset > QUERY_OFFSET_MAX) {
    throw new FailureError("invalid_argument", `query.offset is ${query.offset}, over QUERY_OFFSET_MAX (${QUERY_OFFSET_MAX}); page with page tokens instead`);
  }
  const order = query.orderBy.map((o, i) => {
    const path = fieldPathFrom(o.field, `query.order_by[${i}].field`);
    if (!isSqlRepresentable(path)) {
      throw new FailureError("invalid_argument", `query.order_by[${i}].field: cannot sort on ${formatFieldPath(path)}; its name holds a quote or backslash`);
    }
    return { path, descending: o.direction === Order_Direction.DESCENDING };
  });
  refuseRepeatedPaths(order.map((o) => o.path), (i) => `query.order_by[${i}].field`, "a field sorts once: its first key decides (Firestore refuses it too)");
  const select = query.select === undefined ? null : selectPaths(query.select.fieldPaths);
  return {
    collection: query.collection,
    filter: parseQueryFilter(query.where, query.filter),
    order,
    limit: query.limit === 0 ? null : query.limit,
    offset: query.offset,
    select,
  };
}

function selectPaths(paths: readonly string[]): FieldPath[] {
  if (paths.length > MASK_PATHS_MAX) throw new FailureError("invalid_argument", `query.select has ${paths.length} paths, over MASK_PATHS_MAX (${MASK_PATHS_MAX})`);
  return paths.map((p, i) => fieldPathFrom(p, `query.select.field_paths[${i}]`));
}

const FUNCTIONS: Record<number, AggregateFunction> = {
  [Aggregation_Function.COUNT]: "count",
  [Aggregation_Function.SUM]: "sum",
  [Aggregation_Function.AVG]: "avg",
  [Aggregation_Function.MIN]: "min",
  [Aggregation_Function.MAX]: "max",
};

/** The validated spec of an aggregation request. */
export function aggregationSpecFrom(query: Query, aggregations: readonly Aggregation[], groupBy: readonly string[]) {
  if (query.orderBy.length > 0 || query.limit !== 0 || query.offset !== 0 || query.select !== undefined) {
    throw new FailureError("invalid_argument", "query: an aggregation's query must leave order_by, limit, offset and select unset");
  }
  if (query.search !== undefined) throw new FailureError("invalid_argument", "query.search is not supported by RunAggregationQuery; use RunQuery or StreamQuery");
  const spec = querySpecFrom(query);
  const aliases = new Set<string>();
  const specs: AggregateSpec[] = aggregations.map((a, i) => {
    const fn = FUNCTIONS[a.function];
    if (fn === undefined) throw new FailureError("invalid_argument", `aggregations[${i}].function: unknown function ${a.function}`);
    if (aliases.has(a.alias)) throw new FailureError("invalid_argument", `aggregations[${i}].alias: ${JSON.stringify(a.alias)} is used twice`);
    aliases.add(a.alias);
    if (a.field === "" && fn !== "count") throw new FailureError("invalid_argument", `aggregations[${i}].field is required for ${Aggregation_Function[a.function]}`);
    const path = a.field === "" ? null : fieldPathFrom(a.field, `aggregations[${i}].field`);
    return { alias: a.alias, fn, path };
  });
  const groupPaths = groupBy.map((g, i) => fieldPathFrom(g, `group_by[${i}]`));
  refuseRepeatedPaths(groupPaths, (i) => `group_by[${i}]`, "a field groups once");
  return { spec, aggregations: specs, groupBy: groupPaths };
}

/**
 * INVALID_ARGUMENT when a path appears twice in a list where a repeat
 * means nothing or contradicts the first (`order_by` a then a descending:
 * the second key never decides), naming both places; `where` names the
 * i-th entry on the wire.
 */
function refuseRepeatedPaths(paths: readonly FieldPath[], where: (i: number) => string, why: string): void {
  const seen = new Map<string, number>();
  paths.forEach((path, i) => {
    const key = JSON.stringify(path);
    const first = seen.get(key);
    if (first !== undefined) {
      throw new FailureError("invalid_argument", `${where(i)}: ${formatFieldPath(path)} is already at ${where(first)}; ${why}`);
    }
    seen.set(key, i);
  });
}
