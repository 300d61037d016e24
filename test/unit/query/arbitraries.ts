/** fast-check generators of documents and queries for the oracle tests. */
import fc from "fast-check";
import type { JsonObject, JsonValue } from "@bufbuild/protobuf";
import type { OracleAggregate, OracleExpr, OracleOrder, OraclePath } from "./oracle.js";
import { bytesBase64 } from "../../../src/values/order-key.js";
import { TIMESTAMP_MICROS_MAX, TIMESTAMP_MICROS_MIN, timestampText } from "../../../src/values/timestamp.js";
import { bytesLeaf, geoPointLeaf, integerLeaf, referenceLeaf, timestampLeaf } from "../../../src/values/typed.js";

export const IDS = Array.from({ length: 30 }, (_, i) => `d${String(i).padStart(2, "0")}`);

/** Field paths queries use: plain, nested, quoted, one SQL cannot spell, the id, and one no document has. */
export const PATHS: OraclePath[] = [["a"], ["b"], ["m", "x"], ["odd name"], ['q"t'], ["__id__"], ["nope"]];
export const ORDERABLE: OraclePath[] = PATHS.filter((p) => p[0] !== 'q"t');

const strings = fc.constantFrom("", "a", "ab", "b", "B", "é", "\u00e9t\u00e9", "😀", "\uffff", "z", "d03", "d10", " ");
/**
 * Numbers at the edges where a database can disagree with itself about a
 * value: around 2^53 (the last exactly counted integer) and 2^63 (SQLite's
 * integer range), snowflake-style ids near 1e17, the largest and smallest
 * doubles, subnormals, -0, and decimals whose correctly rounded value
 * SQLite's own text-to-double conversion misses (counterexamples found by
 * this test before numbers were given one representation).
 */
export const EDGE_NUMBERS: readonly number[] = [
  0, -0, 2 ** 53, -(2 ** 53), 2 ** 53 - 1, 2 ** 53 + 2, 2 ** 63, -(2 ** 63), 2 ** 64, 1e17, 175928847299117063,
  175928847299117060 + 32, 1e21, 1.7e308, -1.7e308, Number.MAX_VALUE, -Number.MAX_VALUE, Number.MIN_VALUE, -Number.MIN_VALUE,
  2.2250738585072014e-308, 2.225073858507201e-308, 2.4129826171182034e-300, -2.7898985257869825e-232, 4.2533914971786453e142,
  1.2345678901234567e-200, 0.1, 0.30000000000000004,
];

/** Finite doubles over the whole range, edge values often, -0 included (JSON stores it as 0). */
export const numbers: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.integer({ min: -4, max: 4 }) },
  { weight: 2, arbitrary: fc.constantFrom(...EDGE_NUMBERS) },
  { weight: 2, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 1, arbitrary: fc.double({ min: 1e16, max: 1e19, noNaN: true }).map(Math.round) },
);

/** int64 edges and small integers that meet the doubles of the same value. */
export const EDGE_INTEGERS: readonly bigint[] = [
  0n, 1n, -1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 53n - 1n, -(2n ** 53n) - 1n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 63n - 1024n, 2n ** 63n - 1025n,
  175928847299117063n, 10n ** 17n, 10n ** 17n + 1n,
];
export const integers: fc.Arbitrary<JsonValue> = fc
  .oneof(fc.constantFrom(...EDGE_INTEGERS), fc.bigInt({ min: -4n, max: 4n }), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }))
  .map(integerLeaf);
/**
 * Doubles and typed integers, both near the edges where they meet: 2^53,
 * 2^63 (where doubles are 1024 apart and integers between them need the
 * exact remainder) and snowflake-sized ids.
 */
export const numeric: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 2, arbitrary: numbers },
  { weight: 2, arbitrary: integers },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom(2n ** 53n, 2n ** 63n - 1024n, 2n ** 62n, 175928847299117056n, -(2n ** 63n)), fc.integer({ min: -3, max: 3 }), fc.boolean())
      .map(([base, delta, asDouble]) => {
        const n = base + BigInt(delta);
        const inRange = n >= -(2n ** 63n) && n < 2n ** 63n;
        return asDouble || !inRange ? Number(n) : integerLeaf(n);
      }),
  },
);

/** Timestamps to the microsecond: the range's ends, around the epoch (before 1970 too), and anywhere. */
const timestamps: fc.Arbitrary<JsonValue> = fc
  .oneof(
    fc.constantFrom(TIMESTAMP_MICROS_MIN, TIMESTAMP_MICROS_MAX, 0n, -1n, 1n, 999n, 1000n, -1_000_001n),
    fc.bigInt({ min: TIMESTAMP_MICROS_MIN, max: TIMESTAMP_MICROS_MAX }),
  )
  .map((micros) => timestampLeaf(timestampText(micros)));
const bytes: fc.Arbitrary<JsonValue> = fc
  .oneof(fc.constantFrom(new Uint8Array(0), new Uint8Array([0]), new Uint8Array([0, 0]), new Uint8Array([255]), new Uint8Array([0, 255])), fc.uint8Array({ maxLength: 5 }))
  .map((b) => bytesLeaf(bytesBase64(b)));
const references: fc.Arbitrary<JsonValue> = fc
  .record({ collection: fc.constantFrom("a", "a-b", "a_b", "ab", "b"), id: fc.constantFrom("x", "x-y", "x.y", "y", "d03") })
  .map((r) => referenceLeaf(r.collection, r.id));
const geoPoints: fc.Arbitrary<JsonValue> = fc
  .record({ lat: fc.constantFrom(-90, -1.5, 0, 1.5, 90), lng: fc.constantFrom(-180, -0.5, 0, 0.5, 180) })
  .map((g) => geoPointLeaf(g.lat, g.lng));

export const scalar: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 3, arbitrary: numbers },
  { weight: 2, arbitrary: strings },
  { weight: 2, arbitrary: integers },
  { weight: 1, arbitrary: timestamps },
  { weight: 1, arbitrary: bytes },
  { weight: 1, arbitrary: references },
  { weight: 1, arbitrary: geoPoints },
);
export const value: fc.Arbitrary<JsonValue> = fc.oneof(
  { weight: 5, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom("x", "y", "1"), scalar, { maxKeys: 2 }) },
);

export const data: fc.Arbitrary<JsonObject> = fc.record(
  { a: value, b: value, m: fc.oneof(fc.record({ x: value }, { requiredKeys: [] }), value), "odd name": value, 'q"t': value },
  { requiredKeys: [] },
) as fc.Arbitrary<JsonObject>;

/** Documents with distinct ids, as stored (a JSON round trip). */
export const documents = fc
  .uniqueArray(fc.record({ id: fc.constantFrom(...IDS), data }), { selector: (d) => d.id, maxLength: 30 })
  .map((docs) => docs.map((d) => ({ id: d.id, data: JSON.parse(JSON.stringify(d.data)) as JsonObject })));

const path = fc.constantFrom(...PATHS);
const operand = fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: value }, { weight: 1, arbitrary: fc.constantFrom(...IDS) });
const rangeOperand = fc.oneof(scalar, fc.constantFrom(...IDS));

const leaf: fc.Arbitrary<OracleExpr> = fc.oneof(
  fc.record({ kind: fc.constant("compare" as const), path, op: fc.constantFrom("==" as const, "!=" as const), value: operand }),
  fc.record({ kind: fc.constant("compare" as const), path, op: fc.constantFrom("<" as const, "<=" as const, ">" as const, ">=" as const), value: rangeOperand }),
  fc.record({ kind: fc.constant("in" as const), path, values: fc.array(operand, { minLength: 1, maxLength: 3 }), negated: fc.boolean() }),
  fc.record({ kind: fc.constant("contains" as const), path, values: fc.array(operand, { minLength: 1, maxLength: 2 }) }),
  fc.record({ kind: fc.constant("exists" as const), path, present: fc.boolean() }),
);

export const filter: fc.Arbitrary<OracleExpr> = fc.letrec<{ expr: OracleExpr }>((tie) => ({
  expr: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.record({ kind: fc.constantFrom("and" as const, "or" as const), children: fc.array(tie("expr"), { minLength: 1, maxLength: 3 }) }),
    fc.record({ kind: fc.constant("not" as const), child: tie("expr") }),
  ),
})).expr.map(plain);

export const order: fc.Arbitrary<OracleOrder[]> = fc.array(fc.record({ path: fc.constantFrom(...ORDERABLE), descending: fc.boolean() }), { maxLength: 2 }).map(plain);

export const aggregations: fc.Arbitrary<OracleAggregate[]> = fc
  .array(
    fc.oneof(
      fc.record({ fn: fc.constant("count" as const), path: fc.option(fc.constantFrom(...PATHS), { nil: null }) }),
      fc.record({ fn: fc.constantFrom("sum" as const, "avg" as const, "min" as const, "max" as const), path: fc.constantFrom(...PATHS) }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((list) => plain(list.map((a, i) => ({ ...a, alias: `r${i}` }))));

// fast-check builds records without a prototype, which Workers RPC cannot
// copy; queries from the wire are plain objects.
function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
