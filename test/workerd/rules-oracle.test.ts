/**
 * Rules as filters end to end in workerd: real shard Durable Objects over
 * Workers RPC (1, 3 and 8 of them), random read rules and callers; a page
 * walk and an aggregation answer exactly what the oracle answers over the
 * documents the rule allows. Fewer runs than the Node suite
 * (test/unit/rules/rules-oracle.property.test.ts), which runs the same shard
 * code on node:sqlite.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { JsonObject } from "@bufbuild/protobuf";
import { runAggregation, runQueryPage, type PageState, type QuerySpec } from "../../src/query/executor.js";
import type { Expr } from "../../src/query/expression.js";
import { compileRule, type CompiledRule } from "../../src/rules/compile.js";
import { shardReadRule } from "../../src/rules/read-rule.js";
import { aggregations, documents, filter, ORDERABLE, order } from "../unit/query/arbitraries.js";
import { oracleAggregate, oracleQuery, SUM_OUT_OF_RANGE } from "../unit/query/oracle.js";
import { claims, readRule } from "../unit/rules/arbitraries.js";
import { stubCluster } from "./query-cluster.js";

const clusters = [1, 3, 8].map((n) => stubCluster(`rules${n}`, n));
const deadline = () => ({ atMs: Date.now() + 60_000, now: () => Date.now() });
let run = 0;

function compiled(source: string): CompiledRule {
  const r = compileRule(source, "read");
  if (!r.ok) throw new Error(`generated rule refused: ${source}: ${r.message}`);
  return r.rule;
}

function readable<D extends { id: string; data: JsonObject }>(docs: readonly D[], rule: CompiledRule, auth: Record<string, unknown>): D[] {
  return docs.filter((d) => rule.allows({ request: { auth, method: "list" }, resource: { id: d.id, data: d.data } }));
}

describe("queries under read rules, over real shard objects, match the oracle over the readable documents", () => {
  it("page walks and aggregations over 1, 3 and 8 shards", async () => {
    await fc.assert(
      fc.asyncProperty(
        documents,
        filter,
        order,
        fc.option(fc.integer({ min: 1, max: 10 }), { nil: null }),
        fc.integer({ min: 1, max: 5 }),
        aggregations,
        readRule,
        claims,
        async (docs, where, orderBy, limit, pageSize, aggs, source, auth) => {
          const collection = `rules${run++}`;
          const rule = compiled(source);
          const allowed = readable(docs, rule, auth);
          const shardRule = shardReadRule(rule, auth, "list");
          const spec: QuerySpec = { collection, filter: where as Expr, order: orderBy, limit, offset: 0, select: null, rule: shardRule };
          const expected = oracleQuery(allowed, where, orderBy, 0, limit);
          const expectedGroups = oracleAggregate(allowed, where, [ORDERABLE[0]!], aggs);
          const overflows = expectedGroups.some((g) => Object.values(g.results).includes(SUM_OUT_OF_RANGE));
          for (const c of clusters) {
            await c.put(collection, docs);
            const ids: string[] = [];
            let state: PageState | null = null;
            do {
              const page = await runQueryPage(c.shards, spec, pageSize, state, { deadline: deadline(), explain: false });
              ids.push(...page.documents.map((d) => d.id));
              state = page.next;
            } while (state !== null);
            expect(ids, `${c.shards.shards.length} shards, rule ${source}`).toEqual(expected);
            const aggregated = runAggregation(c.shards, { collection, filter: where as Expr, rule: shardRule }, [ORDERABLE[0]!], aggs, { deadline: deadline(), explain: false });
            if (overflows) await expect(aggregated).rejects.toMatchObject({ kind: "out_of_range" });
            else expect((await aggregated).groups, `${c.shards.shards.length} shards, rule ${source}`).toEqual(expectedGroups);
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);
});
