// Hostile values for the input campaign (scripts/fuzz.mjs): strings, field
// paths, numbers, JSON values and Structs that try every trick a caller can
// play on a document database: prototype keys, path syntax, quotes, SQL
// fragments, control characters, lone surrogates, huge sizes, deep and wide
// nesting. Each is a fast-check arbitrary, so a run is fixed by its seed.
import fc from "fast-check";

/** String lengths just over the named limits of src/limits.ts (names, ids, paths, tokens). */
const OVERSIZED_LENGTHS = [129, 257, 1501, 4097];
/** String lengths far over them, for document values only (rarer: they cost time on every side). */
const HUGE_LENGTHS = [20_001, 100_000, 1024 * 1024 + 1];
/** Deeper than DOCUMENT_DEPTH_MAX (20) and FILTER_DEPTH_MAX (20), and far deeper. */
const DEEP_LEVELS = [21, 64, 200, 2000];
/** Wider than FILTER_NODES_MAX (500) and, at the top, DOCUMENT_FIELDS_MAX (20,000). */
const WIDE_COUNTS = [101, 501, 5000, 20_001];

/** Strings that mean something to a parser, a path resolver, SQL or JavaScript. */
export const TRICKS = [
  "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "__defineGetter__",
  "..", ".", "a..b", "a.", ".a", "a.__proto__", "__proto__.polluted", "constructor.prototype",
  "`a`", "`a.b`", "``", "`", "a.`__proto__`", "`\\``", "'", "\"", "''", "\"\"", "\\", "\\\\",
  "$", "$.a", "$[0]", "$..a", "a[0]", "a[-1]", "a[*]", "*", "**", "%", "_", "?", "?1", ":a", "@a", "#",
  "'; DROP TABLE documents; --", "' OR '1'='1", "\") OR 1=1 --", "1; SELECT * FROM sqlite_master",
  "json_extract(data, '$')", "a') UNION SELECT name FROM sqlite_master --", "/* */", "--", "x' || 'y",
  "NULL", "null", "undefined", "NaN", "Infinity", "-0", "true", "0x10", "1e309",
  "\u0000", "a\u0000b", "\n", "\r\n", "\t", "\u0007", "\u001b[31m", "\u007f", "\u0085", "\u2028", "\u2029",
  "\ud800", "\udfff", "a\ud800b", "\udc00\ud800", "\ufeff", "\ufffe", "\uffff", "😀", "e\u0301", "\u202e", "ｃｏｌ", "İ", "ß",
  "%00", "%2e%2e", "../..", "/etc/passwd", "a/b", "a?b", "a#b", "a&b=c", "a b", " ", "",
  "AND", "OR", "NOT", "a = 1", "a:*", "has(a)", "a = \"x\" OR 1 = 1",
];

/**
 * A hostile string: a trick, a trick glued to a name, random text over
 * every unicode plane (lone surrogates included), or a huge run.
 * `names` are real names (seeded collections, ids) that it sometimes uses as
 * they are or as a prefix, so requests reach real data too.
 */
export function hostileString(names = []) {
  const arbs = [
    { weight: 6, arbitrary: fc.constantFrom(...TRICKS) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...TRICKS), fc.constantFrom(...TRICKS)).map(([a, b]) => a + b) },
    { weight: 3, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
    { weight: 2, arbitrary: fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom("a", "_", "-", "0", ".", "`", "$", "'", "\\", " "), maxLength: 24 }) },
  ];
  arbs.push({ weight: 1, arbitrary: fc.tuple(fc.constantFrom(...OVERSIZED_LENGTHS), fc.constantFrom("x", "é", "😀", "\u0000", "a.", "`")).map(([n, c]) => c.repeat(Math.ceil(n / c.length))) });
  if (names.length > 0) {
    arbs.push({ weight: 4, arbitrary: fc.constantFrom(...names) });
    arbs.push({ weight: 2, arbitrary: fc.tuple(fc.constantFrom(...names), fc.constantFrom(...TRICKS)).map(([n, t]) => n + t) });
  }
  return fc.oneof(...arbs);
}

/** A field path: a hostile string, or a dotted path of hostile segments, or one far too deep. */
export function hostileFieldPath(names = []) {
  return fc.oneof(
    { weight: 4, arbitrary: hostileString(names) },
    { weight: 3, arbitrary: fc.array(hostileString(names), { minLength: 2, maxLength: 5 }).map((segs) => segs.join(".")) },
    { weight: 2, arbitrary: fc.array(hostileString(names), { minLength: 1, maxLength: 4 }).map((segs) => segs.map((s) => "`" + s + "`").join(".")) },
    { weight: 1, arbitrary: fc.constantFrom(...DEEP_LEVELS).map((n) => Array.from({ length: n }, () => "a").join(".")) },
  );
}

/** A number for an int32/int64/double field: edges, out of range, wrong type. */
export const hostileNumber = fc.oneof(
  fc.constantFrom(0, -1, 1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 53) - 2, 1.5, -0.5, 1e308, -1e308, 5e-324),
  fc.constantFrom("9223372036854775807", "-9223372036854775808", "9223372036854775808", "18446744073709551616", "1e3", "0x10", "NaN", "Infinity", "-Infinity", "", " 1", "1 ", "+1", "01", "1.0"),
  fc.integer(),
  fc.double(),
);

/** Any JSON value of bounded size with hostile keys and strings. */
export function hostileJson(names = []) {
  const key = hostileString(names);
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.constant(null),
      fc.boolean(),
      fc.double(),
      fc.integer(),
      fc.constantFrom(2 ** 53 + 1, 1e17, -(2 ** 63), 123456789012345680000),
      hostileString(names),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(key, tie("value"), { maxKeys: 4 }),
    ),
  })).value;
}

/** A deep chain of objects (or arrays) around `leaf`, built without recursion. */
export function deepJson(levels, key, useArrays) {
  let value = "leaf";
  for (let i = 0; i < levels; i++) value = useArrays ? [value] : { [key]: value };
  return value;
}

/** An object with `count` keys. */
export function wideJson(count, prefix) {
  const out = {};
  for (let i = 0; i < count; i++) out[`${prefix}${i}`] = i;
  return out;
}

/**
 * A google.protobuf.Struct in JSON form: mostly small with hostile keys,
 * sometimes deep (objects or arrays), wide, or with huge strings.
 */
export function hostileStruct(names = []) {
  return fc.oneof(
    { weight: 40, arbitrary: fc.dictionary(hostileString(names), hostileJson(names), { maxKeys: 5 }) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom(...DEEP_LEVELS), hostileString(names), fc.boolean()).map(([n, k, arr]) => ({ d: deepJson(n, k, arr) })) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...WIDE_COUNTS), fc.constantFrom("k", "__proto__", "a.b", "`")).map(([n, p]) => wideJson(n, p)) },
    { weight: 1, arbitrary: fc.constantFrom(...HUGE_LENGTHS).map((n) => ({ s: "x".repeat(n) })) },
    { weight: 4, arbitrary: fc.constantFrom(...TRICKS).map((k) => JSON.parse(`{${JSON.stringify(k)}: {"__proto__": {"x": 1}}}`)) },
  );
}

/**
 * A typed value (impossibledb.v1.Value) in proto JSON, hostile: int64
 * edges and past them, timestamps outside 0001..9999 and finer than a
 * microsecond, malformed base64, references with hostile names, geo points
 * out of range or not finite, values with no kind or two kinds, strings
 * where objects go, and deep and wide arrays and maps. A share is valid,
 * so accepted typed documents reach storage, queries and the oracle checks.
 */
export function hostileTypedValue(names = []) {
  const str = hostileString(names);
  const scalar = fc.oneof(
    fc.constant({ nullValue: null }),
    fc.boolean().map((b) => ({ booleanValue: b })),
    fc.oneof(
      fc.constantFrom("9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809", "9007199254740993", "0", "-0", "1e3", "0x10", "", " 5", "NaN"),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
    ).map((v) => ({ integerValue: v })),
    fc.oneof(hostileNumber, fc.constantFrom("NaN", "Infinity", "-Infinity")).map((v) => ({ doubleValue: v })),
    fc.constantFrom(
      "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "0000-12-31T23:59:59Z", "10000-01-01T00:00:00Z", "1969-12-31T23:59:59.999999Z",
      "2026-11-30T15:04:05.123456789Z", "2026-11-30T15:04:05.000000001Z", "2026-02-30T00:00:00Z", "2026-11-30T15:04:05+14:00", "2026-11-30", "not a time", "",
    ).map((v) => ({ timestampValue: v })),
    str.map((s) => ({ stringValue: s })),
    fc.oneof(fc.constantFrom("", "AA==", "!!", "A", "AP8H", "=", "a".repeat(5)), fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b).toString("base64"))).map((v) => ({ bytesValue: v })),
    fc.record({ collection: fc.oneof(fc.constantFrom("users", "a-b"), str), id: fc.oneof(fc.constantFrom("u1", "x.y"), str) }, { requiredKeys: [] }).map((r) => ({ referenceValue: r })),
    fc.record({ latitude: fc.oneof(hostileNumber, fc.constantFrom(-90, 90, 90.0000001)), longitude: fc.oneof(hostileNumber, fc.constantFrom(-180, 180, 180.5)) }, { requiredKeys: [] }).map((g) => ({ geoPointValue: g })),
    fc.constantFrom({}, { integerValue: "1", stringValue: "x" }, { mapValue: "x" }, { arrayValue: { values: "x" } }, { unknownValue: 1 }, null, "x", 5),
  );
  const value = fc.letrec((tie) => ({
    v: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      scalar,
      fc.array(tie("v"), { maxLength: 4 }).map((values) => ({ arrayValue: { values } })),
      fc.dictionary(str, tie("v"), { maxKeys: 4 }).map((fields) => ({ mapValue: { fields } })),
    ),
  })).v;
  const deep = fc.constantFrom(...DEEP_LEVELS).map((n) => {
    let v = { integerValue: "1" };
    for (let i = 0; i < n; i++) v = i % 2 === 0 ? { arrayValue: { values: [v] } } : { mapValue: { fields: { a: v } } };
    return v;
  });
  return fc.oneof({ weight: 30, arbitrary: value }, { weight: 1, arbitrary: deep });
}

/** Typed document fields (map<string, Value>) in proto JSON, with hostile names, including a tag's. */
export function hostileTypedFields(names = []) {
  const key = fc.oneof({ weight: 6, arbitrary: hostileString(names) }, { weight: 1, arbitrary: fc.constantFrom("\u0001int", "\u0001ts", "\u0001geo", "\u0001", "__proto__") });
  return fc.oneof(
    { weight: 20, arbitrary: fc.dictionary(key, hostileTypedValue(names), { maxKeys: 5 }) },
    { weight: 1, arbitrary: fc.constantFrom(...WIDE_COUNTS).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, { integerValue: String(i) }]))) },
  );
}
