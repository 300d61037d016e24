/**
 * Field transforms: changes a shard computes from a field's stored value
 * inside the write's SQLite transaction (increment, maximum, minimum,
 * server timestamp, array union and array removal), so concurrent writers
 * of one document never read it first and never lose an update. Pure.
 *
 * Semantics follow Firestore's documented FieldTransform rules
 * (firestore.googleapis.com v1 `DocumentTransform.FieldTransform`), within
 * our document model, whose numbers are IEEE-754 doubles:
 * - increment / maximum / minimum: a missing field, or one that is not a
 *   number, is set to the operand. Sums stay exact while both terms and the
 *   result are safe integers; a sum of two safe integers past 2^53-1 would
 *   silently round, so it is refused (out_of_range), as is any result that
 *   is not finite (JSON cannot hold Infinity). Where Firestore keeps int64
 *   and double apart, we have one number type: the result is a number.
 *   Maximum and minimum keep the stored value when the two are equal
 *   (0 and -0 are equal; JSON stores both as 0).
 * - append_missing_elements: a missing field, or one that is not an array,
 *   becomes []; each operand element not already present is appended in
 *   order (duplicates within the operand are appended once).
 * - remove_all_from_array: a missing field, or one that is not an array,
 *   becomes []; every element equal to an operand element is removed.
 * - server_timestamp: the write's time as an RFC 3339 string in UTC with
 *   millisecond precision (the document's update_time), as before typed
 *   values existed; typed_server_timestamp: the same instant as a typed
 *   timestamp (values/typed.ts).
 * - Typed integers (values/typed.ts): an integer plus an integer is an
 *   integer, exact, and a sum outside int64 is refused (out_of_range;
 *   Firestore clamps instead, but we never change a value silently). A
 *   JSON-form operand (`jsonNumber`) has no int/double type of its own, so
 *   a whole one added to a stored integer counts as an integer too: typed
 *   2^60 plus JSON 1 is the integer 2^60+1, as MongoDB's $inc of a
 *   NumberLong by a whole number keeps a long (as a double it would be
 *   2^60, the +1 lost). Otherwise, with a double on either side (a
 *   fractional JSON operand, a typed double, a stored double) the sum is a
 *   double. Maximum and minimum compare integers and doubles as numbers,
 *   and the winner keeps its type; a whole JSON-form operand set against a
 *   stored integer is an integer there too (when int64 holds it), so an
 *   integer field stays an integer under all three.
 * Values compare by content (see `valueKey`): numbers by value, maps by
 * their fields in any order, arrays element by element.
 */
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import { canonicalJson, compareValues, rankOf, RANK_NUMBER } from "../query/values.js";
import { timestampText } from "../values/timestamp.js";
import { INT64_MAX, INT64_MIN, integerLeaf, timestampLeaf, typedLeafOf } from "../values/typed.js";
import { TRANSFORMS_PER_WRITE_MAX } from "../limits.js";
import { isMap } from "../validation/document-data.js";
import { formatFieldPath } from "../validation/field-path.js";
import { getPath, setPath } from "./patch.js";

/** The numeric transforms, which take one finite number. */
export type NumericTransformKind = "increment" | "maximum" | "minimum";

/** The array transforms, which take a list of values. */
export type ArrayTransformKind = "append_missing_elements" | "remove_all_from_array";

/** A numeric operand: a double, or an integer's tagged leaf (values/typed.ts). */
export type NumericOperand = number | JsonObject;

/**
 * One field transform as a shard applies it; the path arrives parsed. Plain,
 * clonable data. `jsonNumber` marks a double operand from the JSON form
 * (google.protobuf.Value), whose numbers carry no int/double type: a whole
 * one increments (or is the maximum or minimum of) a stored typed integer
 * as an integer. A typed double
 * operand is a double by the caller's choice and leaves it unset.
 */
export type FieldTransformSpec =
  | { readonly path: readonly string[]; readonly kind: NumericTransformKind; readonly operand: NumericOperand; readonly jsonNumber?: boolean }
  | { readonly path: readonly string[]; readonly kind: "server_timestamp" | "typed_server_timestamp" }
  | { readonly path: readonly string[]; readonly kind: ArrayTransformKind; readonly elements: readonly JsonValue[] };

/** The document after the transforms and each transformed field's new value, or why they cannot apply. */
export type TransformOutcome =
  | { readonly ok: true; readonly data: JsonObject; readonly results: JsonValue[] }
  | { readonly ok: false; readonly kind: "invalid_argument" | "out_of_range"; readonly message: string };

/** What a write sets directly, for the overlap check: its data, and its mask when it has one. */
export interface WrittenFields {
  readonly data: JsonObject | null;
  readonly mask: ReadonlyArray<readonly string[]> | null;
}

/**
 * Why `transforms` cannot go with a write that sets `written`, or null.
 * Refused: more than TRANSFORMS_PER_WRITE_MAX; two transforms whose paths
 * are equal or one inside the other; a transform on or inside a masked
 * path, or on a masked path's parent; a transform whose path the data
 * holds a value at, or passes through a data value that is not a map
 * (the data would set that very field, and a transform would silently
 * override or be overridden by it). Stateless, so the Worker checks it
 * before anything reaches a shard, and the shard again.
 */
export function transformConflict(written: WrittenFields, transforms: readonly FieldTransformSpec[]): string | null {
  if (transforms.length > TRANSFORMS_PER_WRITE_MAX) {
    return `the write has ${transforms.length} transforms, over TRANSFORMS_PER_WRITE_MAX (${TRANSFORMS_PER_WRITE_MAX})`;
  }
  for (let i = 0; i < transforms.length; i++) {
    const path = transforms[i]!.path;
    if (path.length === 0) return `transform ${i} has an empty field path`;
    for (let j = 0; j < i; j++) {
      if (related(path, transforms[j]!.path)) return `transforms ${j} and ${i} change overlapping fields ${show(transforms[j]!.path)} and ${show(path)}`;
    }
    if (written.mask !== null) {
      const masked = written.mask.find((m) => related(m, path));
      if (masked !== undefined) return `transform ${i} on ${show(path)} overlaps update mask path ${show(masked)}; leave the field out of the mask`;
    } else if (written.data !== null) {
      const hit = dataSets(written.data, path);
      if (hit !== null) return `transform ${i} on ${show(path)} overlaps field ${show(hit)} that the write's data sets; leave the field out of the data`;
    }
  }
  return null;
}

/**
 * Applies `transforms` in order to a copy of `data` (which is not changed).
 * `serverTimeMs` is the write's time, for server_timestamp.
 */
export function applyTransforms(data: JsonObject, transforms: readonly FieldTransformSpec[], serverTimeMs: number): TransformOutcome {
  if (transforms.length === 0) return { ok: true, data, results: [] };
  const result = structuredClone(data) as JsonObject;
  const results: JsonValue[] = [];
  for (const [i, t] of transforms.entries()) {
    const next = transformedValue(t, getPath(result, t.path), serverTimeMs);
    if (typeof next === "string") return { ok: false, kind: "out_of_range", message: `transform ${i} (${t.kind} of ${show(t.path)}): ${next}` };
    setPath(result, t.path, next.value);
    results.push(next.value);
  }
  return { ok: true, data: result, results };
}

/** The field's new value, or (a string) why the result cannot be stored. */
function transformedValue(t: FieldTransformSpec, current: JsonValue | undefined, serverTimeMs: number): { value: JsonValue } | string {
  switch (t.kind) {
    case "increment":
      return increment(current, t.operand, t.jsonNumber === true);
    case "maximum":
    case "minimum":
      return { value: extreme(t.kind, current, t.operand, t.jsonNumber === true) };
    case "server_timestamp":
      return { value: new Date(serverTimeMs).toISOString() };
    case "typed_server_timestamp":
      return { value: timestampLeaf(timestampText(BigInt(serverTimeMs) * 1000n)) };
    case "append_missing_elements":
      return { value: arrayUnion(Array.isArray(current) ? current : [], t.elements) };
    case "remove_all_from_array":
      return { value: arrayRemove(Array.isArray(current) ? current : [], t.elements) };
  }
}

/** True for a double or a typed integer. */
function isNumeric(value: JsonValue | undefined): value is NumericOperand {
  return value !== undefined && rankOf(value) === RANK_NUMBER;
}

/**
 * `current` plus `operand`. A stored integer plus an integer operand, or
 * plus a whole JSON-form number (`jsonNumber`), is integer arithmetic:
 * exact, and refused past int64. Any other numeric pair adds as doubles.
 */
function increment(current: JsonValue | undefined, operand: NumericOperand, jsonNumber: boolean): { value: JsonValue } | string {
  if (!isNumeric(current)) return { value: operand };
  if (typeof current !== "number") {
    const addend = typeof operand !== "number" ? integerOf(operand) : jsonNumber && Number.isInteger(operand) ? BigInt(operand) : null;
    if (addend !== null) {
      const sum = integerOf(current) + addend;
      if (sum < INT64_MIN || sum > INT64_MAX) return `${integerOf(current)} + ${typeof operand === "number" ? operand : addend} leaves int64; nothing was written`;
      return { value: integerLeaf(sum) };
    }
  }
  return incrementDouble(typeof current === "number" ? current : Number(integerOf(current)), typeof operand === "number" ? operand : Number(integerOf(operand)));
}

/**
 * The greater (`maximum`) or lesser (`minimum`) of `current` and `operand`,
 * keeping `current` when they are equal. A whole JSON-form number
 * (`jsonNumber`) set against a stored integer counts as an integer, as in
 * `increment`, so an integer field stays an integer (a double only when
 * int64 cannot hold the operand: integers and doubles compare as numbers).
 */
function extreme(kind: "maximum" | "minimum", current: JsonValue | undefined, operand: NumericOperand, jsonNumber: boolean): JsonValue {
  if (!isNumeric(current)) return operand;
  const asInteger = typeof current !== "number" && jsonNumber && typeof operand === "number" && Number.isInteger(operand);
  const bigOperand = asInteger ? BigInt(operand as number) : null;
  const candidate = bigOperand !== null && bigOperand >= INT64_MIN && bigOperand <= INT64_MAX ? integerLeaf(bigOperand) : operand;
  const order = compareValues(candidate, current);
  return (kind === "maximum" ? order > 0 : order < 0) ? candidate : current;
}

function integerOf(value: JsonObject): bigint {
  const leaf = typedLeafOf(value);
  if (leaf === null || leaf.type !== "integer") throw new Error("invariant broken: a numeric operand that is not a double is an integer");
  return leaf.value;
}

function incrementDouble(current: number, operand: number): { value: number } | string {
  const sum = current + operand;
  if (!Number.isFinite(sum)) return `${current} + ${operand} overflows the largest double; nothing was written`;
  if (Number.isSafeInteger(current) && Number.isSafeInteger(operand) && !Number.isSafeInteger(sum)) {
    return `${current} + ${operand} leaves the safe integers (|n| <= 2^53-1), where a double can no longer count by one; nothing was written`;
  }
  return { value: sum };
}

/** `current` with each element of `elements` it does not hold appended, in order. */
export function arrayUnion(current: readonly JsonValue[], elements: readonly JsonValue[]): JsonValue[] {
  const present = new Set(current.map(valueKey));
  const out = [...current];
  for (const e of elements) {
    const key = valueKey(e);
    if (present.has(key)) continue;
    present.add(key);
    out.push(structuredClone(e));
  }
  return out;
}

/** `current` without every element equal to one of `elements`. */
export function arrayRemove(current: readonly JsonValue[], elements: readonly JsonValue[]): JsonValue[] {
  const drop = new Set(elements.map(valueKey));
  return current.filter((e) => !drop.has(valueKey(e)));
}

/**
 * A text equal for two values exactly when they are equal by content:
 * JSON with map keys sorted (and -0 written as 0, as JSON.stringify does).
 * Recursive: stored values and operands both passed DOCUMENT_DEPTH_MAX.
 */
export function valueKey(value: JsonValue): string {
  // The canonical JSON of the total order (query/values.ts): an integer and an equal double share it.
  return canonicalJson(value);
}

/** True when one path equals the other or lies inside it. */
function related(a: readonly string[], b: readonly string[]): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The path (or its prefix) at which `data` sets a value the transform at `path` would collide with; null when none. */
function dataSets(data: JsonObject, path: readonly string[]): readonly string[] | null {
  let node: JsonValue = data;
  for (let i = 0; i < path.length; i++) {
    if (!isMap(node) || !Object.hasOwn(node, path[i]!)) return null;
    node = node[path[i]!]!;
    // The data sets this very field, or a value that is not a map on the way to it.
    if (i === path.length - 1 || !isMap(node)) return path.slice(0, i + 1);
  }
  return null;
}

function show(path: readonly string[]): string {
  return formatFieldPath(path);
}
