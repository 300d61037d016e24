/**
 * Field paths as SQLite sees them. A path reaches SQL only as a string
 * literal built here from parsed segments that match a strict grammar:
 * plain identifiers (`[A-Za-z_][A-Za-z0-9_]*`) are written as `.name`, and
 * any other segment is written as `."segment"` only when it holds none of
 * `"`, `'` and `\` (control characters never pass the field-path parser).
 * SQLite's JSON path syntax has no escape for `"` and rejects `\`, and the
 * quote `'` would end the SQL literal, so such paths are not spelled in SQL
 * at all: filters on them are evaluated in JavaScript, and sorting or
 * indexing on them is refused.
 *
 * Literal paths (rather than bound parameters) are what let SQLite match a
 * query's expressions with an index's expressions.
 *
 * A sort key's scalar in SQL is the value itself for booleans (0/1) and
 * strings, and the number key (`number-key.ts`) for numbers; `sqlScalar`
 * makes the parameter to compare it with.
 */
import type { FieldPath } from "../validation/field-path.js";
import { checkCollection } from "../validation/refs.js";
import { numberKey } from "./number-key.js";
import { isIdPath } from "./expression.js";
import { KEY_LETTER } from "../values/order-key.js";
import { RANK_ARRAY, RANK_BOOLEAN, RANK_BYTES, RANK_GEO_POINT, RANK_MAP, RANK_MISSING, RANK_NULL, RANK_NUMBER, RANK_REFERENCE, RANK_STRING, RANK_TIMESTAMP } from "./values.js";

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const UNSAFE = /["'\\\u0000-\u001f\u007f]/;

/** The SQL string literal of `path`'s JSON path, or null when SQL cannot spell it safely. */
export function sqlJsonPathLiteral(path: FieldPath): string | null {
  let out = "$";
  for (const segment of path) {
    if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else if (!UNSAFE.test(segment)) out += `."${segment}"`;
    else return null;
  }
  return `'${out}'`;
}

/** True when `path` can be sorted on or indexed. */
export function isSqlRepresentable(path: FieldPath): boolean {
  return isIdPath(path) || sqlJsonPathLiteral(path) !== null;
}

/**
 * The rank letters of typed keys (values/order-key.ts) at their rank's
 * distance from RANK_NUMBER, '.' where no letter is, and '{', a map's
 * shadow, at RANK_MAP's.
 */
const TYPED_RANK_LETTERS = (() => {
  const letters = Array.from({ length: RANK_MAP - RANK_NUMBER }, () => ".");
  letters[RANK_TIMESTAMP - RANK_NUMBER - 1] = KEY_LETTER.timestamp;
  letters[RANK_BYTES - RANK_NUMBER - 1] = KEY_LETTER.bytes;
  letters[RANK_REFERENCE - RANK_NUMBER - 1] = KEY_LETTER.reference;
  letters[RANK_GEO_POINT - RANK_NUMBER - 1] = KEY_LETTER.geoPoint;
  letters[RANK_MAP - RANK_NUMBER - 1] = "{";
  return letters.join("");
})();

/** The SQL expressions of a field's sort key: its type rank and its scalar. */
export interface SqlKey {
  readonly rank: string;
  readonly value: string;
}

/**
 * The sort-key expressions of `path`, or null when SQL cannot spell it.
 * These exact texts are also what indexes are built on; change them only
 * with a migration that rebuilds every index.
 */
export function sqlKeyOf(path: FieldPath): SqlKey | null {
  if (isIdPath(path)) return { rank: String(RANK_STRING), value: "id" };
  const p = sqlJsonPathLiteral(path);
  if (p === null) return null;
  // A typed value (values/typed.ts) is a one-key object in `data` whose
  // order key sits at the same path in `num_keys`; the key's first
  // character names its rank (values/order-key.ts): a hex digit for an
  // integer, T, B, R or G for the others. A map's shadow is an object or
  // absent, never text.
  // `instr` maps the key's first character to its rank in one step: a
  // hex digit (an integer) is not in the text, so 3 + 0 is a number; T, B,
  // R, G land on ranks 4, 6, 7, 8; a map's shadow is an object ('{', rank
  // 10) or absent (NULL, so coalesce gives 10). Short, because every filter
  // leaf spells it and statements are bounded (SQL_STATEMENT_BYTES_MAX).
  const typedRank = `coalesce(${RANK_NUMBER} + instr('${TYPED_RANK_LETTERS}', substr(json_extract(num_keys, ${p}), 1, 1)), ${RANK_MAP})`;
  const rank =
    `CASE json_type(data, ${p}) WHEN 'null' THEN ${RANK_NULL} WHEN 'true' THEN ${RANK_BOOLEAN} WHEN 'false' THEN ${RANK_BOOLEAN} ` +
    `WHEN 'integer' THEN ${RANK_NUMBER} WHEN 'real' THEN ${RANK_NUMBER} WHEN 'text' THEN ${RANK_STRING} ` +
    `WHEN 'array' THEN ${RANK_ARRAY} WHEN 'object' THEN ${typedRank} ELSE ${RANK_MISSING} END`;
  // Arrays and maps have no scalar: all of them tie inside their rank.
  // Numbers compare by their order-preserving keys in `num_keys`, never by
  // SQLite's reading of their decimal text (see number-key.ts), and so do
  // typed values (a map's shadow is not text, so a map gets NULL).
  // Below a scalar, num_keys holds a key exactly when the scalar is a
  // number (containers are excluded first), so COALESCE picks the key for
  // numbers and the value itself for strings, booleans and null. This
  // spells the path several times here and in the rank, which bounds
  // how long sort paths may be together (SQL_STATEMENT_BYTES_MAX).
  const value =
    `CASE json_type(data, ${p}) WHEN 'array' THEN NULL WHEN 'object' THEN ` +
    `CASE json_type(num_keys, ${p}) WHEN 'text' THEN json_extract(num_keys, ${p}) END ` +
    `ELSE coalesce(json_extract(num_keys, ${p}), json_extract(data, ${p})) END`;
  return { rank, value };
}

/**
 * The SQL parameter that stands for a sort key's scalar of rank `rank`:
 * numbers as their order-preserving key, booleans as 0/1, strings as
 * themselves.
 */
export function sqlScalar(rank: number, scalar: number | string): number | string {
  // A number's scalar is the double itself or, for an integer no double
  // holds, already its order key (values.ts).
  if (rank === RANK_NUMBER) return typeof scalar === "number" ? numberKey(scalar) : scalar;
  return scalar;
}

/** The JSON path literal for `json_each`, or null. */
export function sqlEachPath(path: FieldPath): string | null {
  return isIdPath(path) ? null : sqlJsonPathLiteral(path);
}

/**
 * A collection name as a SQL literal. Collection names are
 * `[A-Za-z_][A-Za-z0-9_-]*` (checked again here), so the literal is safe; a
 * literal rather than a parameter lets SQLite use an index that is partial
 * on its collection.
 */
export function sqlCollectionLiteral(collection: string): string {
  if (checkCollection(collection) !== null) throw new Error("invariant broken: collection names are checked before they reach a shard");
  return `'${collection}'`;
}
