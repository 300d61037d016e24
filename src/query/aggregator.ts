/**
 * QueryAggregator: COUNT, SUM, AVG, MIN and MAX, optionally grouped by one
 * or more fields. Each shard folds its matching documents into partial
 * groups (`accumulate`); the Worker merges the shards' partials (`merge`)
 * and finishes them (`finish`): AVG is the exact sum over the count of
 * numbers, so it is the same however documents are spread. Sums are exact
 * over the whole double range (fsum.ts); a SUM whose value lies beyond it
 * fails with OUT_OF_RANGE rather than answering a wrong number, and AVG is
 * computed from the exact total, so it never overflows.
 *
 * Semantics: COUNT without a field counts documents, with a field those
 * where it is present. SUM and AVG take numbers (doubles and typed
 * integers) and skip everything else (SUM of no numbers is 0, AVG of none
 * is null). SUM of integers only is an integer, exact, while the total fits
 * int64; with any double, or a total outside int64, it is the exact total
 * rounded once to a double. AVG is always a double. MIN and MAX take the
 * least and greatest value under the total order (any scalar: timestamps,
 * strings, bytes...) and skip arrays and maps (null when there is none). A document missing a
 * group-by field falls in the group whose key holds null there. Groups come
 * back ordered by key under the total order (ties between arrays or maps
 * broken by their canonical JSON).
 */
import type { JsonValue } from "@bufbuild/protobuf";
import { FailureError } from "../errors.js";
import { AGGREGATION_GROUPS_MAX } from "../limits.js";
import type { FieldPath } from "../validation/field-path.js";
import { fieldValue, type Evaluable } from "./evaluate.js";
import { addExact, emptySum, meanExact, mergeExact, roundExact, type ExactSum } from "./fsum.js";
import { INT64_MAX, INT64_MIN, integerLeaf, typedLeafOf } from "../values/typed.js";
import { canonicalJson, compareStrings, compareValues, rankOf, RANK_ARRAY, RANK_MAP, RANK_NUMBER, TYPED_RANK } from "./values.js";

/** The aggregate functions. */
export type AggregateFunction = "count" | "sum" | "avg" | "min" | "max";

/** One aggregate of a request. */
export interface AggregateSpec {
  readonly alias: string;
  readonly fn: AggregateFunction;
  /** The field; null only for COUNT of documents. */
  readonly path: FieldPath | null;
}

/** An aggregate's running state; plain data, so it crosses Workers RPC. */
export interface Accumulator {
  count: number;
  numbers: number;
  /** The exact sum of every number, integers included (each split into two doubles that hold it exactly). */
  sum: ExactSum;
  /** How many of the numbers were doubles; SUM is an integer only when none was. */
  doubles: number;
  /** The exact sum of the integers (a BigInt, which Workers RPC's structured clone carries). */
  integerSum: bigint;
  min: JsonValue | undefined;
  max: JsonValue | undefined;
}

/** One group's partial results. */
export interface PartialGroup {
  /**
   * The group's key as the member with the least id holds it. Values that
   * are equal but not identical (an integer and a double of one value, at
   * any depth) fall in one group; taking the key from the least id makes
   * the answer the same however documents are spread over shards.
   */
  key: JsonValue[];
  /** The id of the member the key was taken from; "" for no member. */
  keyId: string;
  readonly accumulators: Accumulator[];
}

/** Partial groups by their canonical key. */
export type PartialGroups = Map<string, PartialGroup>;

/** A finished group: its key and each alias's value. */
export interface AggregateGroup {
  readonly key: JsonValue[];
  readonly results: Record<string, JsonValue>;
}

function emptyAccumulator(): Accumulator {
  return { count: 0, numbers: 0, sum: emptySum(), doubles: 0, integerSum: 0n, min: undefined, max: undefined };
}

/** Folds one matching document into `groups`. */
export function accumulate(groups: PartialGroups, doc: Evaluable, groupBy: readonly FieldPath[], specs: readonly AggregateSpec[]): void {
  const key = groupBy.map((p) => fieldValue(doc, p) ?? null);
  const id = canonicalJson(key);
  let group = groups.get(id);
  if (group === undefined) {
    if (groups.size >= AGGREGATION_GROUPS_MAX) {
      throw new FailureError("resource_exhausted", `the aggregation has more than AGGREGATION_GROUPS_MAX (${AGGREGATION_GROUPS_MAX}) groups`);
    }
    group = { key, keyId: doc.id, accumulators: specs.map(emptyAccumulator) };
    groups.set(id, group);
  } else if (doc.id < group.keyId) {
    group.key = key;
    group.keyId = doc.id;
  }
  specs.forEach((spec, i) => addValue(group.accumulators[i]!, spec.path === null ? null : fieldValue(doc, spec.path), spec.path === null));
}

function addValue(acc: Accumulator, value: JsonValue | undefined, countDocuments: boolean): void {
  if (countDocuments) {
    acc.count += 1;
    return;
  }
  if (value === undefined) return;
  acc.count += 1;
  // A typed leaf is decoded once: its rank and, for an integer, its value.
  const leaf = value !== null && typeof value === "object" && !Array.isArray(value) ? typedLeafOf(value) : null;
  const rank = leaf === null ? rankOf(value) : TYPED_RANK[leaf.type];
  if (rank === RANK_NUMBER) {
    acc.numbers += 1;
    if (typeof value === "number") {
      acc.doubles += 1;
      addExact(acc.sum, value);
    } else {
      if (leaf === null || leaf.type !== "integer") throw new Error("invariant broken: a number that is not a double is an integer");
      const n = leaf.value;
      acc.integerSum += n;
      // hi is n rounded to a double and lo the (small, exact) rest, so hi + lo is n exactly.
      const hi = Number(n);
      addExact(acc.sum, hi);
      addExact(acc.sum, Number(n - BigInt(hi)));
    }
  }
  if (rank === RANK_ARRAY || rank === RANK_MAP) return;
  if (acc.min === undefined || before(value, acc.min)) acc.min = value;
  if (acc.max === undefined || before(acc.max, value)) acc.max = value;
}

/** Merges a shard's partial groups into `into`. */
export function merge(into: PartialGroups, shard: Iterable<PartialGroup>): void {
  for (const group of shard) {
    const id = canonicalJson(group.key);
    const mine = into.get(id);
    if (mine === undefined) {
      if (into.size >= AGGREGATION_GROUPS_MAX) {
        throw new FailureError("resource_exhausted", `the aggregation has more than AGGREGATION_GROUPS_MAX (${AGGREGATION_GROUPS_MAX}) groups`);
      }
      into.set(id, { key: group.key, keyId: group.keyId, accumulators: group.accumulators.map((a) => ({ ...a, sum: { partials: [...a.sum.partials], spill: a.sum.spill } })) });
      continue;
    }
    if (group.keyId < mine.keyId) {
      mine.key = group.key;
      mine.keyId = group.keyId;
    }
    group.accumulators.forEach((a, i) => {
      const m = mine.accumulators[i]!;
      m.count += a.count;
      m.numbers += a.numbers;
      m.doubles += a.doubles;
      m.integerSum += a.integerSum;
      mergeExact(m.sum, a.sum);
      if (a.min !== undefined && (m.min === undefined || before(a.min, m.min))) m.min = a.min;
      if (a.max !== undefined && (m.max === undefined || before(m.max, a.max))) m.max = a.max;
    });
  }
}

/** Finishes merged groups, ordered by key; one empty-keyed group when there is no group-by. */
export function finish(groups: PartialGroups, groupByCount: number, specs: readonly AggregateSpec[]): AggregateGroup[] {
  if (groupByCount === 0 && groups.size === 0) groups.set("[]", { key: [], keyId: "", accumulators: specs.map(emptyAccumulator) });
  return [...groups.values()].sort(compareGroupKeys).map((g) => ({
    key: g.key,
    results: Object.fromEntries(specs.map((s, i) => [s.alias, result(s, g.accumulators[i]!)])),
  }));
}

function result(spec: AggregateSpec, acc: Accumulator): JsonValue {
  switch (spec.fn) {
    case "count":
      return acc.count;
    case "sum": {
      if (acc.numbers > 0 && acc.doubles === 0) {
        const exact = acc.integerSum;
        if (exact >= INT64_MIN && exact <= INT64_MAX) return integerLeaf(exact);
      }
      const sum = roundExact(acc.sum);
      if (!Number.isFinite(sum)) {
        throw new FailureError(
          "out_of_range",
          `SUM for "${spec.alias}" is beyond the range of a double (its magnitude passes 1.7976931348623157e308); AVG of the same field stays within range`,
        );
      }
      return sum;
    }
    case "avg":
      return acc.numbers === 0 ? null : meanExact(acc.sum, acc.numbers);
    case "min":
      return acc.min ?? null;
    case "max":
      return acc.max ?? null;
  }
}

/**
 * True when `a` sorts before `b` for MIN and MAX: in the total order, and
 * between an integer and a double of equal value the double first, so MAX
 * answers the integer and MIN the double whatever order shards report in.
 */
function before(a: JsonValue, b: JsonValue): boolean {
  const c = compareValues(a, b);
  if (c !== 0) return c < 0;
  return typeof a === "number" && typeof b !== "number" && rankOf(b) === RANK_NUMBER;
}


function compareGroupKeys(a: PartialGroup, b: PartialGroup): number {
  for (let i = 0; i < a.key.length; i++) {
    const c = compareValues(a.key[i], b.key[i]) || compareStrings(canonicalJson(a.key[i]!), canonicalJson(b.key[i]!));
    if (c !== 0) return c;
  }
  return 0;
}
