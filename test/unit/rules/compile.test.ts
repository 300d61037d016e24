/** Compiling rules: what is refused, with which position, and what is pushed into SQL. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRule } from "../../../src/rules/compile.js";
import { RULE_CHARS_MAX, RULE_NODES_MAX } from "../../../src/rules/limits.js";
import { ruleToFilter } from "../../../src/rules/translate.js";
import { timestampText } from "../../../src/values/timestamp.js";
import { bytesLeaf, integerLeaf, timestampLeaf } from "../../../src/values/typed.js";

function refusal(source: string, kind: "read" | "write" = "read"): string {
  const r = compileRule(source, kind);
  if (r.ok) throw new Error(`accepted: ${source}`);
  return `${r.line}:${r.column}: ${r.message}`;
}

describe("compileRule", () => {
  it("accepts conditions over request and resource", () => {
    for (const s of [
      "resource.data.owner == request.auth.sub",
      "resource.data.public == true || request.auth.role == 'editor'",
      "has(resource.data.a) && resource.data.tags.exists(t, t == 'x')",
      "size(resource.data.title) < 100 && resource.data.title.startsWith('A')",
      "request.method == 'get'",
    ]) {
      expect(compileRule(s, "read").ok, s).toBe(true);
    }
    expect(compileRule("request.resource.data.owner == request.auth.sub && resource == null", "write").ok).toBe(true);
  });

  it("names the line and column of a syntax error", () => {
    expect(refusal("resource.data.owner ==")).toMatch(/^1:21: syntax error/);
    expect(refusal("resource.data.a == 1 &&\n  resource.data.b = 2")).toMatch(/^2:\d+: syntax error/);
  });

  it("refuses what could never work, at the node's position", () => {
    expect(refusal("resource.data.n == 1 && owner == 'a'")).toBe("1:25: undeclared reference to 'owner'; rules see request and resource");
    expect(refusal("resource.datum.x == 1")).toBe("1:9: resource has no field 'datum'; it has id, data");
    expect(refusal("request.user == 'a'")).toBe("1:8: request has no field 'user'; it has auth, method, resource");
    expect(refusal("lower(resource.data.a) == 'x'")).toBe("1:1: unknown function 'lower'");
    expect(refusal("request.resource.data.a == 1")).toMatch(/^1:8: a read rule cannot use request.resource/);
    expect(refusal("[1].all(resource, resource > 0)")).toMatch(/comprehension variable cannot be named resource/);
  });

  it("refuses a condition that is never a bool", () => {
    expect(refusal("resource.data.n + 1")).toBe("1:17: the condition is never a bool; a rule must be a bool (true allows)");
    expect(refusal("'yes'")).toMatch(/^1:1: the condition is never a bool/);
    expect(refusal("resource.data.a == 1 &&\n  42")).toBe("2:3: this operand of && is never a bool");
  });

  it("holds rules to RULE_CHARS_MAX and RULE_NODES_MAX", () => {
    expect(refusal("true || ".repeat(RULE_CHARS_MAX / 8) + "true")).toMatch(/over RULE_CHARS_MAX/);
    // 1==1 is three nodes in four characters: a condition within RULE_CHARS_MAX can pass RULE_NODES_MAX.
    const terms = Math.ceil(RULE_NODES_MAX / 4) + 1;
    const dense = Array.from({ length: terms }, () => "1==1").join("||");
    expect(dense.length).toBeLessThanOrEqual(RULE_CHARS_MAX);
    expect(refusal(dense)).toMatch(/RULE_NODES_MAX/);
  });

  it("allows only on true: errors and other values deny", () => {
    const r = compileRule("resource.data.n > 3", "read");
    if (!r.ok) throw new Error(r.message);
    const at = (data: Record<string, unknown>) => r.rule.allows({ request: { auth: {}, method: "get" }, resource: { id: "x", data } });
    expect([at({ n: 4 }), at({ n: 3 }), at({ n: "4" }), at({})]).toEqual([true, false, false, false]);
  });

  it("sees typed values as CEL's types: int, timestamp, bytes", () => {
    const allows = (source: string, data: Record<string, unknown>) => {
      const r = compileRule(source, "read");
      if (!r.ok) throw new Error(r.message);
      return r.rule.allows({ request: { auth: {}, method: "get" }, resource: { id: "x", data } });
    };
    const big = { n: integerLeaf(2n ** 53n + 1n) };
    // An int compares exactly, past 2^53, and with an int literal as CEL ints do.
    expect([allows("resource.data.n == 9007199254740993", big), allows("resource.data.n > 9007199254740992", big)]).toEqual([true, true]);
    const at = { at: timestampLeaf(timestampText(1_700_000_000_000_001n)) };
    expect(allows("resource.data.at > timestamp('2023-11-14T22:13:20Z')", at)).toBe(true);
    expect(allows("resource.data.at < timestamp('2023-11-14T22:13:20Z')", at)).toBe(false);
    // A timestamp is not text: comparing it with a string is an error, which denies.
    expect(allows("resource.data.at > '2000'", at)).toBe(false);
    expect(allows("size(resource.data.b) == 3", { b: bytesLeaf("AP8H") })).toBe(true);
  });
});

describe("ruleToFilter", () => {
  const request = { auth: { sub: "alice", level: 3 }, method: "list" as const };
  const translate = (source: string) => {
    const r = compileRule(source, "read");
    if (!r.ok) throw new Error(r.message);
    return ruleToFilter(r.rule.ast, request);
  };

  it("pushes field-versus-claim and field-versus-constant comparisons exactly, with the claim substituted", () => {
    expect(translate("resource.data.owner == request.auth.sub")).toEqual({
      exact: true,
      filter: { kind: "compare", path: ["owner"], op: "==", value: "alice" },
    });
    expect(translate("resource.data.public == true || resource.data.level <= request.auth.level")).toEqual({
      exact: true,
      filter: {
        kind: "or",
        children: [
          { kind: "compare", path: ["public"], op: "==", value: true },
          { kind: "compare", path: ["level"], op: "<=", value: 3 },
        ],
      },
    });
  });

  it("folds what reads no document", () => {
    expect(translate("request.auth.level > 2 && resource.data.a == 1").filter).toEqual({ kind: "compare", path: ["a"], op: "==", value: 1 });
    expect(translate("request.auth.missing == 'x' || resource.data.a == 1").filter).toEqual({
      kind: "or",
      children: [{ kind: "or", children: [] }, { kind: "compare", path: ["a"], op: "==", value: 1 }],
    });
  });

  it("keeps the pushable part of a conjunction and marks the rest for per-document evaluation", () => {
    expect(translate("resource.data.owner == request.auth.sub && resource.data.title.startsWith('A')")).toEqual({
      exact: false,
      filter: { kind: "compare", path: ["owner"], op: "==", value: "alice" },
    });
    expect(translate("resource.data.a == 1 || size(resource.data.b) > 2")).toEqual({ exact: false, filter: { kind: "and", children: [] } });
    expect(translate("resource.data.name < 'm'").exact).toBe(false);
  });
});

describe("compileRule on hostile input", () => {
  it("answers a position and a message, never throws", () => {
    const token = fc.constantFrom("resource", "request", ".", "data", "auth", "(", ")", "[", "]", "{", "}", "'", '"', "&&", "||", "!", "==", "<", "+", "1", "1u", "2.5", "b'x'", "x", ",", ":", "?", "has", "all", "exists", "map", "in", " ", "\n", "\\", "`", "__proto__", "\u0000", "😀", "\ud800", "size", "int", "dyn", "type", "google.protobuf.Timestamp");
    fc.assert(
      fc.property(fc.oneof(fc.array(token, { maxLength: 40 }).map((t) => t.join("")), fc.string({ maxLength: 200 })), (source) => {
        for (const kind of ["read", "write"] as const) {
          const r = compileRule(source, kind);
          if (!r.ok) {
            expect(r.line).toBeGreaterThanOrEqual(1);
            expect(r.column).toBeGreaterThanOrEqual(1);
            expect(r.message.length).toBeGreaterThan(0);
          }
        }
      }),
      { numRuns: 2000 },
    );
    // Deep nesting is refused with a message (the parser's recursion, or RULE_DEPTH_MAX), never a crash.
    const deep = compileRule("size(".repeat(600) + "'x'" + ")".repeat(600) + " > 0", "read");
    expect(deep.ok ? "" : deep.message).toMatch(/RULE_DEPTH_MAX|syntax error/);
    expect(compileRule("[".repeat(2000) + "]".repeat(2000) + " == []", "read").ok).toBe(false);
  });

  it("refuses comprehensions nested in another's body (their cost multiplies on every read), and allows one level", () => {
    expect(compileRule("resource.data.tags.exists(t, t == request.auth.sub)", "read").ok).toBe(true);
    // A comprehension over another's result runs once: it does not multiply.
    expect(compileRule("resource.data.tags.filter(t, t != '').all(t, size(t) < 10)", "read").ok).toBe(true);
    const nested = compileRule("[1,2,3].all(a, [1,2,3].all(b, a + b > 0))", "read");
    expect(nested.ok).toBe(false);
    expect(nested.ok ? "" : nested.message).toMatch(/nest deeper than RULE_COMPREHENSION_DEPTH_MAX \(1\)/);
    const seven = "[1,2,3,4,5,6,7,8,9,10].all(a, ".repeat(7) + "true" + ")".repeat(7);
    expect(compileRule(seven, "read").ok).toBe(false);
  });
});
