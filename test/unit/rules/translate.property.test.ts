/**
 * Rules as filters, in plain Node: for random read rules, callers and
 * documents, the filter a rule becomes matches exactly the documents the
 * rule allows when it says it is exact, and at least those otherwise (the
 * shard then evaluates the rule per document). Run with a seed printed on
 * failure by fast-check.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileRule } from "../../../src/rules/compile.js";
import { ruleToFilter } from "../../../src/rules/translate.js";
import { matches } from "../../../src/query/evaluate.js";
import { documents } from "../query/arbitraries.js";
import { claims, readRule } from "./arbitraries.js";

describe("read rules as filters", () => {
  it("match exactly what the rule allows when exact, a superset otherwise", () => {
    let exact = 0;
    let inexact = 0;
    fc.assert(
      fc.property(readRule, claims, documents, (source, auth, docs) => {
        const compiled = compileRule(source, "read");
        if (!compiled.ok) throw new Error(`generated rule refused: ${source}: ${compiled.message}`);
        const request = { auth, method: "list" as const };
        const translated = ruleToFilter(compiled.rule.ast, request);
        if (translated.exact) exact++;
        else inexact++;
        for (const doc of docs) {
          const allowed = compiled.rule.allows({ request, resource: { id: doc.id, data: doc.data } });
          const matched = matches(translated.filter, doc);
          if (translated.exact) expect({ source, auth, doc, matched }).toEqual({ source, auth, doc, matched: allowed });
          else if (allowed) expect({ source, auth, doc, matched }).toEqual({ source, auth, doc, matched: true });
        }
      }),
      { numRuns: 400 },
    );
    // Both kinds of rule were generated, or the test proves little.
    expect(exact).toBeGreaterThan(50);
    expect(inexact).toBeGreaterThan(20);
  });
});
