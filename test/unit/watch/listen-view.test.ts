/**
 * Listener views against an oracle: random writes and deletes to a small
 * collection, and after each commit the result a client builds by applying
 * the view's added / modified / removed changes to its copy must equal the
 * query's result recomputed from the whole collection (with and without a
 * filter, with and without a limit window). Also: undoing changes from
 * their before images gives back the earlier matching set.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "@bufbuild/protobuf";
import { matches } from "../../../src/query/evaluate.js";
import { MATCH_ALL, type Expr } from "../../../src/query/expression.js";
import { compareCursors, cursorOf, type OrderKey } from "../../../src/query/order.js";
import type { StoredDocument } from "../../../src/storage/types.js";
import type { FeedChange } from "../../../src/watch/change-merger.js";
import { createView, MatchingSet, type ListenTarget } from "../../../src/watch/listen-view.js";

type Op = { id: string; score: number | null; active: boolean };

const opsArb = fc.array(
  fc.record({ id: fc.constantFrom("a", "b", "c", "d", "e", "f"), score: fc.option(fc.integer({ min: 0, max: 9 })), active: fc.boolean() }),
  { minLength: 1, maxLength: 40 },
);

function oracle(target: Extract<ListenTarget, { kind: "query" }>, docs: Map<string, StoredDocument>): string[] {
  const matching = [...docs.values()].filter((d) => matches(target.filter, d));
  matching.sort((x, y) => compareCursors(cursorOf(x, target.order), cursorOf(y, target.order), target.order));
  return (target.limit === null ? matching : matching.slice(0, target.limit)).map((d) => `${d.id}@${d.version}`);
}

function run(target: Extract<ListenTarget, { kind: "query" }>, ops: readonly Op[]): void {
  const docs = new Map<string, StoredDocument>();
  const view = createView(target, new MatchingSet(target, []));
  const client = new Map<string, number>();
  ops.forEach((op, i) => {
    const ts = (i + 1) * 1000;
    const before = docs.get(op.id) ?? null;
    const data: JsonObject | null = op.score === null ? null : { score: op.score, active: op.active };
    const change: FeedChange = {
      seq: i + 1, collection: "c", id: op.id, op: data === null ? "delete" : "put",
      data: data === null ? null : JSON.stringify(data), version: data === null ? null : i + 1, createTimeMs: 0,
      beforeData: before === null ? null : JSON.stringify(before.data), beforeVersion: before?.version ?? null,
      beforeCreateTimeMs: 0, beforeUpdateTimeMs: 0, commitTs: ts, txId: null, groupShards: null,
    };
    if (data === null) docs.delete(op.id);
    else docs.set(op.id, { collection: "c", id: op.id, data, version: i + 1, createTimeMs: 0, updateTimeMs: ts / 1000 });
    for (const c of view.apply([{ shard: "s", key: `w:${ts}`, commitTs: ts, groupShards: null, changes: [change] }])) {
      if (c.type === "removed") {
        expect(client.has(c.document.id), `removed ${c.document.id}, which the client did not hold`).toBe(true);
        client.delete(c.document.id);
      } else {
        expect(client.has(c.document.id), `${c.type} ${c.document.id}`).toBe(c.type === "modified");
        client.set(c.document.id, c.document.version);
      }
    }
    const expected = oracle(target, docs).sort();
    expect([...client].map(([id, v]) => `${id}@${v}`).sort()).toEqual(expected);
  });
}

const activeFilter: Expr = { kind: "compare", path: ["active"], op: "==", value: true };
const byScore: OrderKey[] = [{ path: ["score"], descending: true }];

describe("listener views", () => {
  it("a collection: the client's copy equals the collection", () => {
    fc.assert(fc.property(opsArb, (ops) => run({ kind: "query", collection: "c", filter: MATCH_ALL, order: [], limit: null }, ops)));
  });

  it("a filter: documents enter and leave as they start and stop matching", () => {
    fc.assert(fc.property(opsArb, (ops) => run({ kind: "query", collection: "c", filter: activeFilter, order: [], limit: null }, ops)));
  });

  it("a limit window: the client's copy equals the first N in query order", () => {
    fc.assert(
      fc.property(opsArb, fc.integer({ min: 1, max: 4 }), (ops, limit) =>
        run({ kind: "query", collection: "c", filter: activeFilter, order: byScore, limit }, ops),
      ),
    );
  });

  it("undoing changes from their before images restores the earlier matching set", () => {
    const target: ListenTarget = { kind: "query", collection: "c", filter: activeFilter, order: byScore, limit: 2 };
    const a0 = { collection: "c", id: "a", data: { score: 1, active: true }, version: 1, createTimeMs: 0, updateTimeMs: 0 };
    const set = new MatchingSet(target, [a0]);
    const change: FeedChange = {
      seq: 2, collection: "c", id: "a", op: "put", data: JSON.stringify({ score: 5, active: false }), version: 2, createTimeMs: 0,
      beforeData: JSON.stringify(a0.data), beforeVersion: 1, beforeCreateTimeMs: 0, beforeUpdateTimeMs: 0, commitTs: 2000, txId: null, groupShards: null,
    };
    set.apply(change);
    expect(set.all()).toEqual([]);
    set.apply(change, "undo");
    expect(set.all().map((d) => [d.id, d.version])).toEqual([["a", 1]]);
  });
});
