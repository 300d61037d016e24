/**
 * The oracle property tests, end to end in workerd: real shard Durable
 * Objects over Workers RPC, 1, 3 and 8 of them. Fewer runs than the Node
 * suite (which runs the same shard code on node:sqlite), because each run
 * writes through real objects.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { runAggregation, runQueryPage, type PageState, type QuerySpec } from "../../src/query/executor.js";
import type { Expr } from "../../src/query/expression.js";
import { indexIdOf } from "../../src/query/indexes.js";
import { aggregations, documents, filter, ORDERABLE, order } from "../unit/query/arbitraries.js";
import { oracleAggregate, oracleQuery, SUM_OUT_OF_RANGE } from "../unit/query/oracle.js";
import { stubCluster } from "./query-cluster.js";

const clusters = [1, 3, 8].map((n) => stubCluster(`oracle${n}`, n));
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
let run = 0;

describe("queries over real shard objects match the oracle", () => {
  it("page walks over 1, 3 and 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(documents, filter, order, fc.integer({ min: 0, max: 4 }), fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }), fc.integer({ min: 1, max: 5 }), fc.boolean(), async (docs, where, orderBy, offset, limit, pageSize, indexed) => {
        const collection = `run${run++}`;
        const expected = oracleQuery(docs, where, orderBy, offset, limit);
        const spec: QuerySpec = { collection, filter: where as Expr, order: orderBy, limit, offset, select: null };
        // Half the runs index the sort keys, before the documents arrive.
        const fields = orderBy.filter((o) => o.path[0] !== "__id__").map((o) => ({ path: o.path, descending: o.descending }));
        for (const c of clusters) {
          if (indexed && fields.length > 0) await c.createIndex({ collection, id: indexIdOf(collection, fields), fields });
          await c.put(collection, docs);
          const ids: string[] = [];
          let state: PageState | null = null;
          do {
            const page = await runQueryPage(c.shards, spec, pageSize, state, { deadline: deadline(), explain: false });
            ids.push(...page.documents.map((d) => d.id));
            state = page.next;
          } while (state !== null);
          expect(ids, `${c.shards.shards.length} shards`).toEqual(expected);
        }
      }),
      { numRuns: 40 },
    );
  }, 60_000);

  it("aggregations over 1, 3 and 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(documents, filter, aggregations, fc.array(fc.constantFrom(...ORDERABLE), { maxLength: 2 }), async (docs, where, aggs, groupBy) => {
        const collection = `agg${run++}`;
        const expected = oracleAggregate(docs, where, groupBy, aggs);
        const overflows = expected.some((g) => Object.values(g.results).includes(SUM_OUT_OF_RANGE));
        for (const c of clusters) {
          await c.put(collection, docs);
          const run = runAggregation(c.shards, { collection, filter: where as Expr }, groupBy, aggs, { deadline: deadline(), explain: false });
          if (overflows) {
            await expect(run, `${c.shards.shards.length} shards`).rejects.toMatchObject({ kind: "out_of_range" });
            continue;
          }
          expect((await run).groups, `${c.shards.shards.length} shards`).toEqual(expected);
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});
