/**
 * Rules as filters against the query oracle, over 1, 3 and 8 shards of
 * real SQLite (node:sqlite) running the shards' own query code: with a
 * random read rule and caller, every page walk, stream and aggregation
 * answers exactly what the oracle answers over the documents the rule
 * allows (offset and limit count readable documents only). fast-check
 * prints the seed of any failure, so it replays.
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonObject } from "@bufbuild/protobuf";
import { runAggregation, runQueryPage, streamQuery, type PageState, type QuerySpec } from "../../../src/query/executor.js";
import type { Expr } from "../../../src/query/expression.js";
import { compileRule, type CompiledRule } from "../../../src/rules/compile.js";
import { shardReadRule } from "../../../src/rules/read-rule.js";
import { aggregations, documents, filter, ORDERABLE, order } from "../query/arbitraries.js";
import { memoryCluster, type MemoryCluster } from "../query/memory-shards.js";
import { oracleAggregate, oracleQuery, SUM_OUT_OF_RANGE } from "../query/oracle.js";
import { claims, readRule } from "./arbitraries.js";

const COLLECTION = "things";
const SHARD_COUNTS = [1, 3, 8];
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
const opened: MemoryCluster[] = [];

afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function cluster(count: number, docs: ReadonlyArray<{ id: string; data: JsonObject }>): MemoryCluster {
  const c = memoryCluster(count, COLLECTION);
  opened.push(c);
  for (const d of docs) c.put(d.id, d.data);
  return c;
}

function compiled(source: string): CompiledRule {
  const r = compileRule(source, "read");
  if (!r.ok) throw new Error(`generated rule refused: ${source}: ${r.message}`);
  return r.rule;
}

/** The documents `rule` lets a caller with `auth` read. */
function readable<D extends { id: string; data: JsonObject }>(docs: readonly D[], rule: CompiledRule, auth: Record<string, unknown>): D[] {
  return docs.filter((d) => rule.allows({ request: { auth, method: "list" }, resource: { id: d.id, data: d.data } }));
}

async function walk(c: MemoryCluster, spec: QuerySpec, pageSize: number): Promise<string[]> {
  const ids: string[] = [];
  let state: PageState | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await runQueryPage(c.shards, spec, pageSize, state, { deadline: deadline(), explain: false });
    expect(page.documents.length).toBeLessThanOrEqual(pageSize);
    ids.push(...page.documents.map((d) => d.id));
    if (page.next === null) return ids;
    state = page.next;
  }
  throw new Error("page walk did not end");
}

describe("queries under read rules match the oracle over the readable documents", () => {
  it("page walks and streams over 1, 3 and 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(
        documents,
        filter,
        order,
        fc.integer({ min: 0, max: 4 }),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
        fc.integer({ min: 1, max: 7 }),
        readRule,
        claims,
        async (docs, where, orderBy, offset, limit, pageSize, source, auth) => {
          const rule = compiled(source);
          const expected = oracleQuery(readable(docs, rule, auth), where, orderBy, offset, limit);
          const spec: QuerySpec = { collection: COLLECTION, filter: where as Expr, order: orderBy, limit, offset, select: null, rule: shardReadRule(rule, auth, "list") };
          for (const count of SHARD_COUNTS) {
            const c = cluster(count, docs);
            expect(await walk(c, spec, pageSize), `${count} shards, page walk, rule ${source}`).toEqual(expected);
            const streamed: string[] = [];
            for await (const d of streamQuery(c.shards, spec, { deadline: deadline(), explain: false })) streamed.push(d.id);
            expect(streamed, `${count} shards, stream, rule ${source}`).toEqual(expected);
          }
        },
      ),
      { numRuns: 120 },
    );
  }, 120_000);

  it("aggregations over 1, 3 and 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(documents, filter, aggregations, fc.array(fc.constantFrom(...ORDERABLE), { maxLength: 1 }), readRule, claims, async (docs, where, aggs, groupBy, source, auth) => {
        const rule = compiled(source);
        const expected = oracleAggregate(readable(docs, rule, auth), where, groupBy, aggs);
        const overflows = expected.some((g) => Object.values(g.results).includes(SUM_OUT_OF_RANGE));
        for (const count of SHARD_COUNTS) {
          const c = cluster(count, docs);
          const spec = { collection: COLLECTION, filter: where as Expr, rule: shardReadRule(rule, auth, "list") };
          const run = runAggregation(c.shards, spec, groupBy, aggs, { deadline: deadline(), explain: false });
          if (overflows) {
            await expect(run, `${count} shards`).rejects.toMatchObject({ kind: "out_of_range" });
            continue;
          }
          expect((await run).groups, `${count} shards, rule ${source}`).toEqual(expected);
        }
      }),
      { numRuns: 80 },
    );
  }, 120_000);
});
