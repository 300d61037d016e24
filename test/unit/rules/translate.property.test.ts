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
import { timestampText } from "../../../src/values/timestamp.js";
import { bytesLeaf, geoPointLeaf, integerLeaf, referenceLeaf, timestampLeaf } from "../../../src/values/typed.js";

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

  it("agree with the rule on typed values, whose JSON forms a rule may spell (references, geo points, timestamps, bytes, integers)", () => {
    const values = [
      referenceLeaf("users", "alice"),
      geoPointLeaf(1.5, -2),
      timestampLeaf(timestampText(0n)),
      bytesLeaf("AA=="),
      integerLeaf(2n ** 53n + 1n),
      integerLeaf(5n),
      integerLeaf(2n ** 63n - 1n),
      integerLeaf(-(2n ** 63n)),
      "users/alice",
      { latitude: 1.5, longitude: -2 },
    ];
    const rules = [
      'resource.data.a != "users/alice"',
      'resource.data.a == "users/alice"',
      '!(resource.data.a == "users/alice")',
      'resource.data.a in ["users/alice", 1]',
      "resource.data.a.latitude > 0",
      "resource.data.a.latitude <= 0",
      "has(resource.data.a.latitude)",
      "resource.data.a.collection == 'users'",
      'resource.data.a == "1970-01-01T00:00:00.000000Z"',
      'resource.data.a > "1970"',
      'resource.data.a != "AA=="',
      "resource.data.a == 5",
      "resource.data.a > 4.5",
      "resource.data.a == 9007199254740992",
      "resource.data.a != 9007199254740993",
      "resource.data.a == {'latitude': 1.5, 'longitude': -2}",
      "size(resource.data.a) == 11",
      "resource.data.a < 9223372036854775807.0",
      "resource.data.a > 9007199254740992.0",
      "resource.data.a <= 9007199254740992.0",
      "resource.data.a >= 9223372036854775807.0",
      "resource.data.a == 9007199254740992.0",
    ];
    const request = { auth: {}, method: "list" as const };
    for (const source of rules) {
      const compiled = compileRule(source, "read");
      if (!compiled.ok) throw new Error(`${source}: ${compiled.message}`);
      const translated = ruleToFilter(compiled.rule.ast, request);
      for (const [i, a] of values.entries()) {
        const doc = { id: `d${i}`, data: { a } };
        const allowed = compiled.rule.allows({ request, resource: { id: doc.id, data: doc.data } });
        const matched = matches(translated.filter, doc);
        if (translated.exact) expect({ source, a, matched }).toEqual({ source, a, matched: allowed });
        else if (allowed) expect({ source, a, matched }).toEqual({ source, a, matched: true });
      }
    }
  });
});
