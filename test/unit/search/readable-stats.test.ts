/**
 * Issue 11's search leak, in plain Node over 8 in-memory shards: a caller
 * bound by a read rule is scored exactly as by one database holding only
 * the documents it may read (N, average length, every phrase's document
 * count, typo variants), whether the rule is pushed into SQL or evaluated
 * per document. Without readable-stats.ts, the hidden documents change
 * every one of them.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import type { ShardReadRule } from "../../../src/rules/read-rule.js";
import { runSearchPage } from "../../../src/search/search-executor.js";
import { parseSearchText } from "../../../src/search/query-parser.js";
import type { SearchIndexSpec } from "../../../src/search/catalog.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";
import { aliceReadRule, minuteDeadline, searchSpec } from "./rule-fixtures.js";

const COLLECTION = "memo";
const SPEC: SearchIndexSpec = { collection: COLLECTION, textFields: [{ field: "title", weight: 2 }, { field: "body", weight: 1 }], geoField: null };
const opened: MemoryCluster[] = [];
afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function cluster(docs: ReadonlyArray<{ id: string; data: JsonObject }>): MemoryCluster {
  const c = memoryCluster(8, COLLECTION);
  opened.push(c);
  for (const d of docs) c.put(d.id, d.data);
  c.createSearchIndex(SPEC);
  return c;
}

const WORDS = ["apple", "apples", "aplles", "banana", "cherry", "pie", "tart", "juice"];
const docs = Array.from({ length: 90 }, (_, i) => ({
  id: `d${String(i).padStart(2, "0")}`,
  data: {
    owner: i % 3 === 0 ? "alice" : "dave",
    title: [WORDS[i % 8], WORDS[(i * 5) % 8]].join(" "),
    // Only hidden documents hold "aplles" in their bodies, and many hold "apple".
    body: i % 3 === 0 ? `${WORDS[(i * 7) % 8]} pie` : `apple aplles ${WORDS[i % 5]}`,
  } as JsonObject,
}));
const readable = docs.filter((d) => d.data["owner"] === "alice" || (d.data["title"] as string).includes("aplles"));

const source = `resource.data.owner == request.auth.sub || resource.data.title.contains("aplles")`;
const rule = (pushed: boolean): ShardReadRule => aliceReadRule(source, pushed);
const spec = searchSpec(COLLECTION);
const deadline = minuteDeadline;

describe("a rule-bound caller's search statistics", () => {
  for (const pushed of [true, false]) {
    it(`count only readable documents (rule ${pushed ? "pushed into SQL" : "evaluated per document"})`, async () => {
      const all = cluster(docs);
      const only = cluster(readable);
      for (const text of ["apple", "aplle", "apple OR banana", "pie NOT tart", '"apple pie"', "app*"]) {
        const node = parseSearchText(text);
        const bound = await runSearchPage(all.search, { ...spec, rule: rule(pushed) }, { node, exact: false }, 1000, null, { deadline: deadline(), explain: true });
        const alone = await runSearchPage(only.search, spec, { node, exact: false }, 1000, null, { deadline: deadline(), explain: true });
        const view = (p: typeof bound) => ({
          hits: p.documents.map((d) => [d.doc.id, d.score]),
          n: p.plan.documents,
          tokens: p.plan.tokens,
          counts: p.plan.phraseDocuments,
          compiled: p.plan.compiled.match,
        });
        expect(view(bound), text).toEqual(view(alone));
        expect(bound.documents.length, text).toBeGreaterThan(0);
        const unbound = await runSearchPage(all.search, spec, { node, exact: false }, 1000, null, { deadline: deadline(), explain: true });
        expect(unbound.plan.documents).toBe(docs.length);
      }
    });
  }
});
