/**
 * The listener's flow against fake shards, for the cases real timing
 * rarely produces: a transaction that committed on one shard before its
 * snapshot and on another after (the snapshot must still show all of it or
 * none of it), and resuming a limit query from a token (its window rebuilt
 * by undoing later changes).
 */
import { describe, expect, it } from "vitest";
import type { ChangeRow } from "../../../src/watch/feed-types.js";
import { listen, type ListenMessage, type ListenShards } from "../../../src/watch/listen.js";
import type { ListenTarget } from "../../../src/watch/listen-view.js";
import type { StoredDocument } from "../../../src/storage/types.js";
import { compileRuleCached } from "../../../src/rules/compile.js";
import { shardReadRule } from "../../../src/rules/read-rule.js";

function row(seq: number, id: string, data: object | null, opts: Partial<ChangeRow> = {}): ChangeRow {
  return {
    seq, collection: "c", id, op: data === null ? "delete" : "put", data: data === null ? null : JSON.stringify(data),
    version: data === null ? null : seq * 10, create_time_ms: 0, before_data: null, before_version: null,
    before_create_time_ms: null, before_update_time_ms: null, commit_ts: seq * 1000, tx_id: null, group_shards: null, ...opts,
  };
}

const doc = (id: string, data: object, version: number): StoredDocument => ({ collection: "c", id, data: data as never, version, createTimeMs: 0, updateTimeMs: 0 });

let scopes = 0;

/** Fake shards: each with a log, and a scripted snapshot (documents, head, clock) per call. */
function fakeShards(logs: Record<string, ChangeRow[]>, snapshots: Record<string, { docs: StoredDocument[]; head: number; clockTs: number }>, heads: Record<string, number>): ListenShards {
  return {
    scope: `test-${++scopes}`,
    shards: Object.keys(logs),
    routingVersion: 1,
    shardFor: () => Object.keys(logs)[0]!,
    head: async (shard) => heads[shard]!,
    snapshot: async (shard) => ({ ok: true, documents: snapshots[shard]!.docs, hasMore: false, head: snapshots[shard]!.head, clockTs: snapshots[shard]!.clockTs }),
    window: async (shard, _c, after, through) => ({ ok: true, rows: logs[shard]!.filter((r) => r.seq > after && r.seq <= through), complete: true }),
    changes: async (shard, _c, _id, after) => {
      const rows = logs[shard]!.filter((r) => r.seq > after);
      if (rows.length === 0) await new Promise((r) => setTimeout(r, 5));
      return { ok: true, rows, position: Math.max(after, ...logs[shard]!.map((r) => r.seq)) };
    },
  };
}

async function collect(gen: AsyncGenerator<ListenMessage>, controller: AbortController, count: number): Promise<ListenMessage[]> {
  const out: ListenMessage[] = [];
  setTimeout(() => controller.abort(), 200);
  for await (const m of gen) {
    out.push(m);
    if (out.length >= count) controller.abort();
  }
  return out;
}

const all: ListenTarget = { kind: "query", collection: "c", filter: { kind: "and", children: [] }, order: [], limit: null };

describe("listen", () => {
  it("folds the rest of a transaction into the snapshot when it straddles the shards' snapshots", async () => {
    // T wrote a1 on shard a and b1 on shard b at ts 5000. Shard a's
    // snapshot came first (its clock 4000: T not there yet); shard b's came
    // after T committed there (b1 inside it).
    const t = { tx_id: "T", group_shards: JSON.stringify(["a", "b"]), commit_ts: 5000 };
    const logs = { a: [row(1, "a1", { n: 1 }, t)], b: [row(1, "b1", { n: 1 }, t)] };
    const shards = fakeShards(
      logs,
      { a: { docs: [], head: 0, clockTs: 4000 }, b: { docs: [doc("b1", { n: 1 }, 10)], head: 1, clockTs: 5000 } },
      { a: 0, b: 0 },
    );
    const controller = new AbortController();
    const messages = await collect(listen(shards, all, null, { signal: controller.signal, pollWaitMs: 5 }), controller, 3);
    const snapshot = messages.slice(0, messages.findIndex((m) => m.current) + 1).flatMap((m) => m.changes.map((c) => c.document.id));
    expect(snapshot.sort()).toEqual(["a1", "b1"]);
    const later = messages.slice(messages.findIndex((m) => m.current) + 1).flatMap((m) => m.changes);
    expect(later).toEqual([]);
    expect(messages.find((m) => m.current)!.positions).toEqual(new Map([["a", 1], ["b", 1]]));
  });

  it("does not fold a transaction both snapshots already hold", async () => {
    const t = { tx_id: "T", group_shards: JSON.stringify(["a", "b"]), commit_ts: 5000 };
    const logs = { a: [row(1, "a1", { n: 1 }, t), row(2, "a2", { n: 2 })], b: [row(1, "b1", { n: 1 }, t)] };
    const shards = fakeShards(
      logs,
      { a: { docs: [doc("a1", { n: 1 }, 10)], head: 1, clockTs: 5000 }, b: { docs: [doc("b1", { n: 1 }, 10)], head: 1, clockTs: 5000 } },
      { a: 0, b: 0 },
    );
    const controller = new AbortController();
    const messages = await collect(listen(shards, all, null, { signal: controller.signal, pollWaitMs: 5 }), controller, 2);
    const at = messages.findIndex((m) => m.current);
    expect(messages.slice(0, at + 1).flatMap((m) => m.changes.map((c) => c.document.id)).sort()).toEqual(["a1", "b1"]);
    // a2 comes as a change after the snapshot, once.
    expect(messages.slice(at + 1).flatMap((m) => m.changes.map((c) => `${c.type} ${c.document.id}`))).toEqual(["added a2"]);
  });

  it("resumes a limit window from its token by undoing the changes after it", async () => {
    const target: ListenTarget = { kind: "query", collection: "c", filter: { kind: "and", children: [] }, order: [{ path: ["score"], descending: false }], limit: 1 };
    // At the token (position 1): x(score 1) and y(score 2); window [x]. Then x moved to score 9.
    const logs = {
      a: [
        row(1, "y", { score: 2 }),
        row(2, "x", { score: 9 }, { before_data: JSON.stringify({ score: 1 }), before_version: 5 }),
      ],
    };
    const shards = fakeShards(logs, { a: { docs: [doc("x", { score: 9 }, 20), doc("y", { score: 2 }, 10)], head: 2, clockTs: 2000 } }, { a: 2 });
    const controller = new AbortController();
    const messages = await collect(listen(shards, target, new Map([["a", 1]]), { signal: controller.signal, pollWaitMs: 5 }), controller, 2);
    expect(messages[0]!.current).toBe(true);
    expect(messages[0]!.changes).toEqual([]);
    expect(messages[1]!.changes.map((c) => `${c.type} ${c.document.id}`).sort()).toEqual(["added y", "removed x"]);
  });

  it("sends a quiet listener a heartbeat with a resume token about once per poll wait", async () => {
    const shards = fakeShards({ a: [] }, { a: { docs: [], head: 0, clockTs: 0 } }, { a: 0 });
    const controller = new AbortController();
    const messages = await collect(listen(shards, all, null, { signal: controller.signal, pollWaitMs: 20 }), controller, 4);
    const heartbeats = messages.slice(1);
    expect(heartbeats.length).toBeGreaterThanOrEqual(2);
    for (const m of heartbeats) {
      expect(m.changes).toEqual([]);
      expect(m.positions).toEqual(new Map([["a", 0]]));
    }
  });
});

describe("the heartbeat of a listener a read rule binds", () => {
  const compiled = compileRuleCached("resource.data.owner == request.auth.sub", "read");
  if (!compiled.ok) throw new Error(compiled.message);
  const rule = shardReadRule(compiled.rule, { sub: "alice" }, "list");
  const hiddenDoc: ListenTarget = { kind: "document", collection: "c", id: "h5", rule };

  /**
   * A shard whose feed call holds for its wait, or returns as soon as a
   * row is written, as the real one does; `writeAtMs` writes a document
   * the rule hides (bob's) that long after the listener starts.
   */
  function heldShards(writeAtMs: number | null): ListenShards {
    const log: ChangeRow[] = [];
    const wakers: Array<() => void> = [];
    if (writeAtMs !== null) {
      setTimeout(() => {
        log.push(row(1, "h5", { owner: "bob" }));
        for (const wake of wakers.splice(0)) wake();
      }, writeAtMs);
    }
    return {
      scope: `test-${++scopes}`,
      shards: ["a"],
      routingVersion: 1,
      shardFor: () => "a",
      head: async () => 0,
      snapshot: async () => ({ ok: true, documents: [], hasMore: false, head: 0, clockTs: 0 }),
      window: async () => ({ ok: true, rows: [], complete: true }),
      changes: async (_shard, _c, _id, after, waitMs) => {
        if (!log.some((r) => r.seq > after)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, waitMs);
            wakers.push(() => { clearTimeout(timer); resolve(); });
          });
        }
        const rows = log.filter((r) => r.seq > after);
        return { ok: true, rows, position: Math.max(after, ...log.map((r) => r.seq)) };
      },
    };
  }

  /** When each heartbeat came, in ms after the listener was current, over `forMs`. */
  async function heartbeatTimes(shards: ListenShards, waitMs: number, forMs: number): Promise<number[]> {
    const controller = new AbortController();
    const times: number[] = [];
    let currentAtMs = 0;
    setTimeout(() => controller.abort(), forMs);
    for await (const m of listen(shards, hiddenDoc, null, { signal: controller.signal, pollWaitMs: waitMs })) {
      expect(m.changes).toEqual([]);
      if (m.current) currentAtMs = Date.now();
      else times.push(Date.now() - currentAtMs);
    }
    return times;
  }

  it("keeps a fixed schedule from the stream's start, the same whether or not a hidden document was written", async () => {
    const waitMs = 200;
    // The hidden write at 100 ms; the old code's heartbeat came a poll's wait after it (about 300 ms), not at 200.
    const [written, untouched] = await Promise.all([heartbeatTimes(heldShards(100), waitMs, 700), heartbeatTimes(heldShards(null), waitMs, 700)]);
    expect(written.length).toBe(untouched.length);
    expect(written.length).toBeGreaterThanOrEqual(2);
    for (const [i, t] of written.entries()) {
      expect(Math.abs(t - (i + 1) * waitMs)).toBeLessThan(60);
      expect(Math.abs(t - untouched[i]!)).toBeLessThan(60);
    }
  });
});
