/**
 * The hostile input campaign's CEL rules (scripts/fuzz/rules.mjs), through
 * the parts of the rules engine that the campaign itself cannot reach: it
 * runs with auth off, where SetRules compiles a rule but no caller is bound
 * by it, so no rule is ever translated into a filter or evaluated. Here
 * every generated rule is compiled as a read and as a write rule, and each
 * that compiles is translated for a bound caller and evaluated against
 * hostile documents. Nothing may throw: a throw there would be an INTERNAL
 * for the caller. Seeded; the failing rule is in the message.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRule } from "../../../src/rules/compile.js";
import { ruleToFilter } from "../../../src/rules/translate.js";
import { matches } from "../../../src/query/evaluate.js";
import type { JsonObject } from "@bufbuild/protobuf";

/** Rules sampled from the campaign's generator. */
const RULES_SAMPLED = 600;
const SEED = 20261130;

interface HostileRules {
  hostileRuleText(names: string[]): fc.Arbitrary<string>;
}

const CLAIMS: ReadonlyArray<Record<string, unknown>> = [
  { sub: "u1" },
  { sub: "", role: "editor", "__proto__": { x: 1 } },
  { sub: 1, nested: { a: [1, "x", null] } },
];

const DOCUMENTS: ReadonlyArray<{ id: string; data: JsonObject }> = [
  { id: "d1", data: { owner: "u1", public: true, n: 3, s: "fz_a-d1", tags: ["x", "y"], nested: { a: { b: 1.5 } }, "a.b": "d1" } },
  { id: "__proto__", data: { owner: 1, n: "3", s: null, tags: "y", "__proto__": { p: 1 } } },
  { id: "e", data: {} },
];

describe("hostile CEL rules", () => {
  it("compile, translate and evaluate without throwing", async () => {
    const { hostileRuleText } = (await import(new URL("../../../scripts/fuzz/rules.mjs", import.meta.url).href)) as HostileRules;
    const rules = fc.sample(hostileRuleText(["fz_a", "d1", "n", "s", "tags", "__proto__", "a.b"]), { seed: SEED, numRuns: RULES_SAMPLED });
    let compiled = 0;
    for (const source of rules) {
      const where = `rule ${JSON.stringify(source.slice(0, 200))}`;
      expect(() => compileRule(source, "write"), where).not.toThrow();
      const read = compileRule(source, "read");
      if (!read.ok) continue;
      compiled++;
      for (const auth of CLAIMS) {
        const request = { auth, method: "list" as const };
        let filter: ReturnType<typeof ruleToFilter> | undefined;
        expect(() => (filter = ruleToFilter(read.rule.ast, request)), where).not.toThrow();
        for (const doc of DOCUMENTS) {
          expect(typeof read.rule.allows({ request, resource: doc }), where).toBe("boolean");
          expect(() => matches(filter!.filter, doc), where).not.toThrow();
        }
      }
    }
    // Enough of them compile for the translation to have been exercised.
    expect(compiled).toBeGreaterThan(RULES_SAMPLED / 10);
    // Some rules cost real time: a 4,096-character condition of emoji takes
    // ~250 ms to parse, and constant comprehensions are evaluated when translated.
  }, 120_000);
});
