/**
 * The sharded query engine against the oracle, over 1, 3 and 8 shards of
 * real SQLite (node:sqlite) running the shards' own query code: random
 * documents, random filters, orders, offsets, limits, page walks, streams
 * and aggregations must give exactly the oracle's answer. fast-check prints
 * the seed of any failure, so it replays.
 */
import { afterEach, describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonObject } from "@bufbuild/protobuf";
import { runAggregation, runQueryPage, streamQuery, type PageState, type QuerySpec } from "../../../src/query/executor.js";
import type { Expr } from "../../../src/query/expression.js";
import { indexIdOf } from "../../../src/query/indexes.js";
import { aggregations, documents, filter, ORDERABLE, order } from "./arbitraries.js";
import { memoryCluster, type MemoryCluster } from "./memory-shards.js";
import { oracleAggregate, oracleQuery, SUM_OUT_OF_RANGE } from "./oracle.js";

const COLLECTION = "things";
const SHARD_COUNTS = [1, 3, 8];
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
const opened: MemoryCluster[] = [];

afterEach(() => {
  while (opened.length > 0) opened.pop()!.close();
});

function cluster(count: number, docs: ReadonlyArray<{ id: string; data: JsonObject }>, indexed: number[] | null): MemoryCluster {
  const c = memoryCluster(count, COLLECTION);
  opened.push(c);
  if (indexed !== null && indexed.length > 0) {
    const fields = indexed.map((i) => ({ path: ORDERABLE[i]!, descending: i % 2 === 1 })).filter((f) => f.path[0] !== "__id__");
    if (fields.length > 0) c.createIndex({ collection: COLLECTION, id: indexIdOf(COLLECTION, fields), fields });
  }
  for (const d of docs) c.put(d.id, d.data);
  return c;
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

const indexChoice = fc.option(fc.uniqueArray(fc.integer({ min: 0, max: ORDERABLE.length - 1 }), { minLength: 1, maxLength: 2 }), { nil: null });

describe("queries match the oracle", () => {
  it("filters, orders, offsets, limits and page walks over 1, 3 and 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(
        documents,
        filter,
        order,
        fc.integer({ min: 0, max: 6 }),
        fc.option(fc.integer({ min: 1, max: 12 }), { nil: null }),
        fc.integer({ min: 1, max: 7 }),
        indexChoice,
        async (docs, where, orderBy, offset, limit, pageSize, indexed) => {
          const expected = oracleQuery(docs, where, orderBy, offset, limit);
          const spec: QuerySpec = { collection: COLLECTION, filter: where as Expr, order: orderBy, limit, offset, select: null };
          for (const count of SHARD_COUNTS) {
            const c = cluster(count, docs, indexed);
            expect(await walk(c, spec, pageSize), `${count} shards, page walk`).toEqual(expected);
            const streamed: string[] = [];
            for await (const d of streamQuery(c.shards, spec, { deadline: deadline(), explain: false })) streamed.push(d.id);
            expect(streamed, `${count} shards, stream`).toEqual(expected);
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);

  it("aggregations with and without group-by over 1, 3 and 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(documents, filter, aggregations, fc.array(fc.constantFrom(...ORDERABLE), { maxLength: 2 }), async (docs, where, aggs, groupBy) => {
        const expected = oracleAggregate(docs, where, groupBy, aggs);
        const overflows = expected.some((g) => Object.values(g.results).includes(SUM_OUT_OF_RANGE));
        for (const count of SHARD_COUNTS) {
          const c = cluster(count, docs, null);
          const run = runAggregation(c.shards, { collection: COLLECTION, filter: where as Expr }, groupBy, aggs, { deadline: deadline(), explain: false });
          if (overflows) {
            await expect(run, `${count} shards`).rejects.toMatchObject({ kind: "out_of_range" });
            continue;
          }
          expect((await run).groups, `${count} shards`).toEqual(expected);
        }
      }),
      { numRuns: 150 },
    );
  }, 60_000);
});
