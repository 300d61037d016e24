/**
 * fast-check generators of read rules (CEL text) over the fields the query
 * oracle's documents have (test/unit/query/arbitraries.ts), and of callers'
 * claims. Rules mix what translate.ts pushes into SQL with what it cannot.
 */
import fc from "fast-check";

// `a.latitude` reaches into a typed geo point when `a` holds one: a rule and the pushed filter must agree that it reaches nothing.
const DATA_PATHS = ["resource.data.a", "resource.data.b", "resource.data.m.x", "resource.data['odd name']", "resource.data['q\"t']", "resource.data.nope", "resource.data['__id__']", "resource.data.m", "resource.data.a.latitude"];

/** CEL literals, including ints, uints, an int past 2^53 and values no document holds. */
const LITERALS = [
  "0", "1", "-1", "2.5", "3u", "-4", "9007199254740993", "1e17", "null", "true", "false", "''", "'a'", "'ab'", "'B'", "'é'", "'😀'", "'d03'", "[1]", "{'x': 1}",
  // The JSON forms of typed values the documents hold (a reference, a timestamp, bytes), and CEL's own typed literals.
  "'a/x'", "'b/d03'", "'1970-01-01T00:00:00.000000Z'", "'AA=='", "timestamp('1970-01-01T00:00:00Z')", "b'\\x00'", "int('9223372036854775807')",
];
const NUMBERS = ["0", "1", "-1", "2.5", "3u", "-4", "1e17", "9007199254740993"];

const path = fc.constantFrom(...DATA_PATHS);
const literal = fc.constantFrom(...LITERALS);
const number = fc.constantFrom(...NUMBERS);
const claim = fc.constantFrom("request.auth.sub", "request.auth.level", "request.auth.missing", "request.auth.tags");

const leaf: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(path, fc.constantFrom("==", "!="), fc.oneof(literal, claim)).map(([p, op, v]) => `${p} ${op} ${v}`),
  fc.tuple(fc.oneof(literal, claim), fc.constantFrom("==", "!="), path).map(([v, op, p]) => `${v} ${op} ${p}`),
  fc.tuple(path, fc.constantFrom("<", "<=", ">", ">="), fc.oneof(number, claim)).map(([p, op, v]) => `${p} ${op} ${v}`),
  fc.tuple(number, fc.constantFrom("<", ">="), path).map(([v, op, p]) => `${v} ${op} ${p}`),
  fc.tuple(path, fc.constantFrom("<", ">"), fc.constantFrom("'a'", "'é'")).map(([p, op, v]) => `${p} ${op} ${v}`),
  fc.tuple(path, fc.array(fc.oneof(literal, claim), { minLength: 1, maxLength: 3 })).map(([p, vs]) => `${p} in [${vs.join(", ")}]`),
  fc.tuple(literal, path).map(([v, p]) => `${v} in ${p}`),
  path.filter((p) => !p.includes("[")).map((p) => `has(${p})`),
  path.map((p) => p),
  fc.constantFrom("resource.id == 'd03'", "resource.id in ['d01', 'd10']", "resource.id == request.auth.sub", "resource.id"),
  fc.constantFrom("request.method == 'list'", "request.auth.level > 2", "'admin' in request.auth.tags", "request.auth.missing == 1", "true", "false"),
  path.map((p) => `size(${p}) > 1`),
  path.map((p) => `${p}.startsWith('a')`),
  path.map((p) => `(${p} > 1 ? true : false)`),
);

/** A read rule: leaves under &&, || and !. */
export const readRule: fc.Arbitrary<string> = fc.letrec<{ rule: string }>((tie) => ({
  rule: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(tie("rule"), fc.constantFrom("&&", "||"), tie("rule")).map(([l, op, r]) => `(${l} ${op} ${r})`),
    tie("rule").map((r) => `!(${r})`),
  ),
})).rule;

/** A caller's claims: `sub`, `level` and `tags`, each sometimes missing or of another type. */
export const claims: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    sub: fc.constantFrom("a", "d03", "ab", 1, 2.5, true, null),
    level: fc.constantFrom(0, 1, 3, 2.5, "3"),
    tags: fc.constantFrom(["admin"], [], ["x", "admin"], "admin"),
  },
  { requiredKeys: [] },
  // As the Worker hands them over: parsed from JSON (fast-check may make null-prototype objects).
).map((c) => JSON.parse(JSON.stringify(c)) as Record<string, unknown>);
