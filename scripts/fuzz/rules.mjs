// Hostile security rules for SetRules (docs/security.md#rules): CEL
// condition text that tries every way to hurt a parser, a static checker
// and a planner: nesting far past RULE_DEPTH_MAX (64), trees past
// RULE_NODES_MAX (1,000), text past RULE_CHARS_MAX (4,096), unicode and
// control characters in identifiers and literals, comments that hide the
// rest of a line, macros inside macros, every operator, values of the wrong
// type, names the rules may not use, and near-valid rules of the real kind.
// Each is a fast-check arbitrary over the campaign's names.
import fc from "fast-check";
import { TRICKS, hostileString } from "./values.mjs";

/** Nesting levels around RULE_DEPTH_MAX (64) and far past it. */
const DEEP_RULE_LEVELS = [63, 64, 65, 200, 3000];
/** Chain lengths around RULE_NODES_MAX (1,000 nodes) and past it. */
const LONG_RULE_TERMS = [300, 499, 501, 2000];
/** Text lengths at and past RULE_CHARS_MAX (4,096) and far past it. */
const RULE_LENGTHS = [4096, 4097, 100_000];

/** CEL operators and punctuation, for token soup. */
const CEL_TOKENS = [
  "==", "!=", "<", "<=", ">", ">=", "&&", "||", "!", "-", "+", "*", "/", "%", "?", ":", "in", ".", ",", "(", ")", "[", "]", "{", "}",
  "true", "false", "null", "1", "-1", "1u", "1.5", "1e309", "0x7fffffffffffffff", "9223372036854775808", "18446744073709551616u",
  "'s'", "\"s\"", "'''x'''", "r'\\d'", "b'\\xff'", "'\\u0000'", "'\\ud800'", "'\\", "\"", "'",
  "resource", "resource.data", "resource.id", "request", "request.auth", "request.auth.sub", "request.method", "request.resource.data",
  "has", "size", "int", "uint", "double", "string", "bytes", "bool", "type", "dyn", "duration", "timestamp", "matches", "contains", "startsWith", "endsWith",
  "all", "exists", "exists_one", "map", "filter", "__proto__", "constructor", "x", "_", "//", "\n", "\u0000",
];

/** Rules of the shape real ones have (field vs constant or claim), to reach the planner and the pushed-filter translation. */
const NEAR_VALID = [
  "resource.data.owner == request.auth.sub",
  "resource.data.owner == request.auth.sub || resource.data.public == true",
  "resource.data.n >= 3 && resource.data.n < 9",
  "resource.data.s in ['fz_a-d1', 'fz_b-d2']",
  "has(resource.data.nested) && !has(resource.data.gone)",
  "resource.id != 'd0'",
  "resource == null || resource.data.owner == request.auth.sub",
  "request.resource == null || request.resource.data.owner == request.auth.sub",
  "request.method == 'get'",
  "request.auth.role == 'editor'",
  "resource.data.tags.exists(t, t == 'y')",
  "size(resource.data.s) < 10",
  "resource.data.s.startsWith('fz_')",
  "resource.data.s.matches('^(a+)+$')",
  "resource.data['__proto__'].p == 1",
  "resource.data['a.b'] == 'd1'",
  "resource.data.__proto__ == null",
  "resource.data.constructor.prototype == 1",
  "resource.data.n + 1",
  "resource.data.n == 'x'",
  "1 == 1u",
  "1 / 0 == 1",
  "int('x') == 1",
  "resource.datum.x == 1",
  "request.resource.data.x == 1",
  "unknownFunction(resource.data.x)",
  "resource.data.x.unknownMethod()",
  "has(1)",
  "has(resource.data)",
  "has(resource)",
  "[1, 2, 3].map(x, [1, 2, 3].map(y, [1, 2, 3].map(z, x * y * z))).size() > 0",
  "[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, a+b+c+d > 0))))",
  "resource.data.tags.exists_one(t, t.exists(u, u))",
  "[].all(resource, resource.data.x == 1)",
  "{'a': 1, 'a': 2}.a == 1",
  "{resource.data.k: 1}.size() == 1",
  "true ? resource.data.x == 1 : 'no'",
  "type(resource.data.n) == int",
  "dyn(resource.data.n) == 1.0",
  "duration('1000000000000h') > duration('1s')",
  "timestamp('9999-12-31T23:59:59Z') > timestamp('0001-01-01T00:00:00Z')",
  "'\u202e' == resource.data.s",
  "resource.data.ｎ == 1",
  "resource.data.`a.b` == 1",
  "true // ) && false",
  "// only a comment",
  "/* not a comment */ true",
  "true\n// trailing comment",
  "true &&\n// hides the rest\nfalse",
  "'// in a string' == resource.data.s",
  "",
  " ",
  "\u0000",
  "true\u0000false",
  "\ufefftrue",
];

/** One hostile CEL condition (read or write). */
export function hostileRuleText(names = []) {
  const str = hostileString(names);
  const soup = fc.array(fc.oneof(fc.constantFrom(...CEL_TOKENS), fc.constantFrom(...TRICKS)), { maxLength: 16 }).map((t) => t.join(" "));
  const deep = fc.tuple(fc.constantFrom(...DEEP_RULE_LEVELS), fc.constantFrom("paren", "not", "list", "map", "ternary", "call", "index", "neg")).map(([n, how]) => deepRule(n, how));
  const long = fc.tuple(fc.constantFrom(...LONG_RULE_TERMS), fc.constantFrom("&&", "||", "+", "==", "in")).map(([n, op]) => longRule(n, op));
  const huge = fc.tuple(fc.constantFrom(...RULE_LENGTHS), fc.constantFrom("string", "ident", "spaces", "comment", "unicode")).map(([n, how]) => hugeRule(n, how));
  const fieldVsValue = fc
    .tuple(str, fc.constantFrom("==", "!=", "<", "<=", ">", ">=", "in"), fc.oneof(str.map((s) => JSON.stringify(s)), fc.constantFrom("1", "-0.0", "null", "true", "[]", "{}", "[1, 'a', null]", "request.auth.sub", "request.auth")))
    .map(([field, op, value]) => `resource.data${field.startsWith("[") ? "" : "."}${field} ${op} ${value}`);
  return fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...NEAR_VALID) },
    { weight: 3, arbitrary: fieldVsValue },
    { weight: 4, arbitrary: soup },
    { weight: 2, arbitrary: str },
    { weight: 1, arbitrary: deep },
    { weight: 1, arbitrary: long },
    { weight: 1, arbitrary: huge },
  );
}

/** A condition nested `n` levels deep in one way (built without recursion). */
function deepRule(n, how) {
  switch (how) {
    case "paren":
      return "(".repeat(n) + "true" + ")".repeat(n);
    case "not":
      return "!".repeat(n) + "true";
    case "list":
      return "[".repeat(n) + "1" + "]".repeat(n) + " == []";
    case "map":
      return "{'a': ".repeat(n) + "1" + "}".repeat(n) + " == {}";
    case "ternary":
      return "true ? ".repeat(n) + "true" + " : false".repeat(n);
    case "call":
      return "size(".repeat(n) + "'x'" + ")".repeat(n) + " > 0";
    case "index":
      return "resource.data" + "['a']".repeat(n) + " == 1";
    default:
      return "-".repeat(n) + "1 == 1";
  }
}

/** A flat chain of `n` terms joined by `op`. */
function longRule(n, op) {
  if (op === "in") return `resource.data.n in [${Array.from({ length: n }, (_, i) => i).join(", ")}]`;
  if (op === "+") return Array.from({ length: n }, () => "resource.data.n").join(" + ") + " > 0";
  if (op === "==") return Array.from({ length: n }, () => "true").join(" == ");
  return Array.from({ length: n }, (_, i) => `resource.data.f${i} == ${i}`).join(` ${op} `);
}

/** A condition about `n` characters long. */
function hugeRule(n, how) {
  switch (how) {
    case "string":
      return `resource.data.s == '${"x".repeat(Math.max(0, n - 22))}'`;
    case "ident":
      return `resource.data.${"a".repeat(Math.max(1, n - 19))} == 1`;
    case "spaces":
      return " ".repeat(Math.max(0, n - 4)) + "true";
    case "comment":
      return `true // ${"c".repeat(Math.max(0, n - 8))}`;
    default:
      return `resource.data.s == '${"😀".repeat(Math.max(0, Math.ceil((n - 22) / 2)))}'`;
  }
}

/** A SetRules request body: a few collections' rules, sometimes too many, duplicated, or with hostile collection names. */
export function hostileRules(collections, names = []) {
  const rule = hostileRuleText(names);
  const collection = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...collections) }, { weight: 2, arbitrary: hostileString(names) });
  const entry = fc.record({ collection, read: rule, write: rule }, { requiredKeys: [] });
  return fc.oneof(
    { weight: 20, arbitrary: fc.array(entry, { maxLength: 3 }) },
    { weight: 1, arbitrary: fc.constantFrom(100, 101, 500).map((n) => Array.from({ length: n }, (_, i) => ({ collection: `c${i}`, read: "true" }))) },
    { weight: 1, arbitrary: fc.constantFrom(2, 50).map((n) => Array.from({ length: n }, () => ({ collection: collections[0], read: "true" }))) },
  ).map((list) => ({ rules: { collections: list } }));
}
