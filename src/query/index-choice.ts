/**
 * Which secondary index a shard's statement names with `INDEXED BY`.
 *
 * Left to itself, SQLite would not use an index for an equality or IN
 * filter. A shard keeps no statistics (no sqlite_stat1), so SQLite guesses
 * that an equality on the first column of any index matches about ten rows:
 * `collection = 'c'` on the primary key (collection, id) looks as selective
 * as `rank = r AND value = ?` on a secondary index, and the primary key
 * needs no second lookup per row and already gives the id order, so it
 * wins. In a shard that `collection = 'c'` is most of the table: the query
 * reads the whole collection. (A range looks more selective still, which
 * is why `u >= 1 AND u <= 1` used the index while `u = 1` did not.)
 *
 * So the shard picks the index itself when one fits clearly: the index's
 * leading fields are pinned by equality or a one-type IN among the filter's
 * top-level conjuncts. It leaves the choice to SQLite when no index fits
 * that way (a range or a sort alone, which SQLite already serves), and when
 * the filter pins the document id (the primary key finds those rows
 * directly). Naming an index that cannot seek is never an error: SQLite
 * walks the whole index then (allowed on a WITHOUT ROWID table), and every
 * index is partial on exactly the `collection = 'c'` the statement holds.
 *
 * Pure: plain index definitions and filter leaves in, a choice out. Its
 * work is bounded by the catalog: at most INDEXES_PER_COLLECTION_MAX indexes
 * of at most 8 fields each, against the filter's conjuncts.
 */
import type { FieldPath } from "../validation/field-path.js";
import { ID_FIELD } from "./expression.js";
import type { IndexSpec } from "./indexes.js";
import { idDescending, type OrderKey } from "./order.js";
import type { LeafExpr } from "./sql-filter.js";
import { RANK_ARRAY, RANK_MAP, RANK_NULL, rankOf } from "./values.js";

/**
 * How the filter's conjuncts constrain one field's two index columns
 * (rank, value), strongest first: both equal; rank equal and value in a
 * list; rank equal to null's (whose value is NULL, which SQLite cannot seek
 * on); rank equal and value in a range.
 */
export type FieldPin = "equal" | "in" | "null" | "range";

const PIN_STRENGTH: Record<FieldPin, number> = { equal: 3, in: 2, null: 1, range: 0 };

/** The pin of one leaf, or null when it pins nothing an index can seek on. */
function pinOf(leaf: LeafExpr): FieldPin | null {
  if (leaf.kind === "compare") {
    if (leaf.op === "!=") return null;
    const rank = rankOf(leaf.value);
    if (rank === RANK_ARRAY || rank === RANK_MAP) return null; // deep equality: not said in SQL as a seek
    if (rank === RANK_NULL) return leaf.op === "==" || leaf.op === "<=" || leaf.op === ">=" ? "null" : null;
    return leaf.op === "==" ? "equal" : "range";
  }
  if (leaf.kind === "in" && !leaf.negated) {
    const ranks = new Set(leaf.values.map(rankOf));
    // Several types, or null, make an OR of per-type tests (sql-filter.ts),
    // which one index seek cannot serve.
    if (ranks.size !== 1) return null;
    const rank = [...ranks][0]!;
    if (rank === RANK_NULL || rank === RANK_ARRAY || rank === RANK_MAP) return null;
    return leaf.values.length === 1 ? "equal" : "in";
  }
  return null;
}

/** The strongest pin per field path (keyed by `JSON.stringify(path)`). */
export function fieldPins(conjuncts: readonly LeafExpr[]): Map<string, FieldPin> {
  const pins = new Map<string, FieldPin>();
  for (const leaf of conjuncts) {
    const pin = pinOf(leaf);
    if (pin === null) continue;
    const key = JSON.stringify(leaf.path);
    const had = pins.get(key);
    if (had === undefined || PIN_STRENGTH[pin] > PIN_STRENGTH[had]) pins.set(key, pin);
  }
  return pins;
}

/** How well one index serves a query; compared field by field, larger is better. */
type Score = readonly [pinnedFields: number, nextRange: number, servesOrder: number, fewerFields: number];

/**
 * The index to name with INDEXED BY, or null to leave the choice to SQLite.
 * `conjuncts` are the filter's exact top-level leaves (sql-filter.ts); among
 * the indexes whose first field they pin by equality or IN, the one that
 * pins the most leading fields wins, then one whose next field takes a
 * range, then one that gives the query's order without a sort, then the one
 * with fewer fields; ties go to the smaller id, so every shard chooses alike.
 */
export function chooseIndex(indexes: readonly IndexSpec[], conjuncts: readonly LeafExpr[], order: readonly OrderKey[]): IndexSpec | null {
  const pins = fieldPins(conjuncts);
  const idPin = pins.get(JSON.stringify([ID_FIELD]));
  if (idPin === "equal" || idPin === "in") return null;
  let best: { index: IndexSpec; score: Score } | null = null;
  for (const index of indexes) {
    const score = scoreOf(index, pins, order);
    if (score === null) continue;
    if (best === null || compareScores(score, best.score) > 0 || (compareScores(score, best.score) === 0 && index.id < best.index.id)) best = { index, score };
  }
  return best?.index ?? null;
}

/** The score of `index`, or null when the filter does not pin its first field by equality or IN. */
function scoreOf(index: IndexSpec, pins: ReadonlyMap<string, FieldPin>, order: readonly OrderKey[]): Score | null {
  let pinned = 0;
  let allEqual = true;
  let seekGoesOn = true;
  for (const field of index.fields) {
    const pin = pins.get(JSON.stringify(field.path));
    if (pin !== "equal" && pin !== "in" && pin !== "null") break;
    pinned++;
    if (pin !== "equal") allEqual = false;
    if (pin === "null") {
      // The value column of null is NULL: SQLite seeks no further.
      seekGoesOn = false;
      break;
    }
  }
  if (pinned === 0) return null;
  const next = index.fields[pinned];
  const nextRange = seekGoesOn && next !== undefined && pins.get(JSON.stringify(next.path)) === "range";
  const servesOrder = allEqual && givesOrder(index.fields.slice(pinned).map((f) => ({ path: f.path, descending: f.descending })), order, pins);
  return [pinned, nextRange ? 1 : 0, servesOrder ? 1 : 0, -index.fields.length];
}

/**
 * True when walking the index, forwards or backwards, past its pinned
 * fields gives `order` (keys pinned to one value drop out of it) and then
 * the id in the order's direction: the index entries end with the primary
 * key, so the id runs ascending inside equal fields.
 */
function givesOrder(rest: readonly OrderKey[], order: readonly OrderKey[], pins: ReadonlyMap<string, FieldPin>): boolean {
  const keys = order.filter((k) => pins.get(JSON.stringify(k.path)) !== "equal");
  if (keys.length !== rest.length) return false;
  const backwards = idDescending(order);
  return keys.every((k, i) => samePath(k.path, rest[i]!.path) && (k.descending !== rest[i]!.descending) === backwards);
}

function samePath(a: FieldPath, b: FieldPath): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

function compareScores(a: Score, b: Score): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

