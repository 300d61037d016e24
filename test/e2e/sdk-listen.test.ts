/**
 * The SDK's listeners against the real Worker: a query listener sees writes
 * in query order, a transaction's changes arrive in one snapshot, and when
 * the listener's HTTP requests are cut under it (the transport below aborts
 * them, as a dropped connection would) it resumes from its last token with
 * no change lost or repeated, every document's versions in commit order.
 * A limit window over values of every type stays what the query answers.
 */
import type { DescMessage, DescMethodStreaming, JsonValue, MessageInitShape } from "@bufbuild/protobuf";
import { type ContextValues, type Transport } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import { ImpossibleDBClient, type ListenOptions, type QuerySnapshot } from "@impossibledb/client";
import { describe, expect, it } from "vitest";
import { uniqueCollection, workerUrl } from "./env.js";

/** Node's Connect transport to the Worker, whose server streams the test can cut. */
function cuttableTransport() {
  const inner = createConnectTransport({ baseUrl: workerUrl(), httpVersion: "1.1", useBinaryFormat: true });
  const live = new Set<AbortController>();
  let opened = 0;
  const transport: Transport = {
    unary: (...args) => inner.unary(...args),
    stream<I extends DescMessage, O extends DescMessage>(
      method: DescMethodStreaming<I, O>,
      signal: AbortSignal | undefined,
      timeoutMs: number | undefined,
      header: HeadersInit | undefined,
      input: AsyncIterable<MessageInitShape<I>>,
      contextValues?: ContextValues,
    ) {
      const controller = new AbortController();
      signal?.addEventListener("abort", () => controller.abort(signal.reason), { once: true });
      live.add(controller);
      opened += 1;
      const res = inner.stream(method, controller.signal, timeoutMs, header, input, contextValues);
      return res.then(
        (r) => ({ ...r, message: untilDone(r.message, () => live.delete(controller)) }),
        (err: unknown) => {
          live.delete(controller);
          throw err;
        },
      );
    },
  };
  return {
    transport,
    /** Aborts every open stream's HTTP request; the listener did not ask for it. */
    cut: () => {
      for (const c of live) c.abort(new Error("cut by the test"));
      live.clear();
    },
    opened: () => opened,
    /** Streams open now. */
    live: () => live.size,
  };
}

async function* untilDone<T>(messages: AsyncIterable<T>, done: () => void): AsyncIterable<T> {
  try {
    yield* messages;
  } finally {
    done();
  }
}

/** Pulls snapshots until `until` holds, within `timeoutMs`. */
async function collect<T extends QuerySnapshot>(iterator: AsyncIterator<T>, until: (all: T[]) => boolean, timeoutMs = 20_000): Promise<T[]> {
  const all: T[] = [];
  const deadline = Date.now() + timeoutMs;
  while (!until(all)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`no snapshot completed the expectation in ${timeoutMs} ms; saw ${JSON.stringify(all.map(brief))}`);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`waited ${timeoutMs} ms; saw ${JSON.stringify(all.map(brief))}`)), left)));
    const next = await Promise.race([iterator.next(), timeout]).finally(() => clearTimeout(timer));
    if (next.done === true) throw new Error("the listener ended");
    all.push(next.value);
  }
  return all;
}

const brief = (s: QuerySnapshot) => ({ docs: s.docs.map((d) => d.id), changes: s.docChanges.map((c) => `${c.type} ${c.doc.id}@${c.doc.version}`) });

describe("listeners", () => {
  const fast: ListenOptions = { reconnect: { initialBackoffMs: 50, maxBackoffMs: 200 } };

  it("see a query's writes in query order, and a transaction's changes in one snapshot", async () => {
    const db = new ImpossibleDBClient();
    const name = uniqueCollection("listen_query");
    const people = db.collection<{ age: number }>(name);
    await people.put("a", { age: 30 });
    await people.put("b", { age: 10 });
    const snaps = people.query().where("age", ">", 20).sort("age").listen(fast)[Symbol.asyncIterator]();
    try {
      const [initial] = await collect(snaps, (all) => all.length === 1);
      expect(initial).toMatchObject({ initial: true, restarted: false });
      expect(initial!.docs.map((d) => d.id)).toEqual(["a"]);
      expect(initial!.resumeToken).not.toBe("");

      await people.put("c", { age: 25 });
      const [added] = await collect(snaps, (all) => all.length === 1);
      expect(brief(added!)).toMatchObject({ docs: ["c", "a"], changes: [expect.stringMatching(/^added c@/)] });

      // Four documents, so the transaction most likely spans shards.
      const tx = db.createTransaction();
      tx.write(name, "d", { age: 40 }).write(name, "e", { age: 50 }).update(name, "a", { age: 5 }).write(name, "b", { age: 21 });
      await tx.commit();
      const [whole] = await collect(snaps, (all) => all.length === 1);
      expect(whole!.docChanges.map((c) => `${c.type} ${c.doc.id}`).sort()).toEqual(["added b", "added d", "added e", "removed a"]);
      const txIds = new Set(whole!.docChanges.map((c) => c.transactionId));
      expect(txIds.size).toBe(1);
      expect([...txIds][0]).toMatch(/.+/);
      expect(whole!.docs.map((d) => [d.id, d.data.age])).toEqual([["b", 21], ["c", 25], ["d", 40], ["e", 50]]);
    } finally {
      await snaps.return?.();
    }
  });

  it("hold a snapshot sent in several messages until its token: one initial snapshot with every document once", async () => {
    const db = new ImpossibleDBClient();
    const items = db.collection<{ i: number }>(uniqueCollection("listen_big"));
    // Over the server's 500 changes per message: three messages, only the last with a token.
    const count = 1_100;
    for (let start = 0; start < count; start += 500) {
      const batch = items.batch();
      for (let i = start; i < Math.min(count, start + 500); i++) batch.set(`d${String(i).padStart(4, "0")}`, { i });
      expect((await batch.commit()).every((o) => o.ok)).toBe(true);
    }
    const snaps = items.query().sort("i", "desc").listen(fast)[Symbol.asyncIterator]();
    try {
      const [initial] = await collect(snaps, (all) => all.length === 1);
      expect(initial!.initial).toBe(true);
      expect(initial!.docChanges).toHaveLength(count);
      expect(new Set(initial!.docChanges.map((c) => c.doc.id)).size).toBe(count);
      expect(initial!.docs.map((d) => d.data.i)).toEqual(Array.from({ length: count }, (_, k) => count - 1 - k));
    } finally {
      await snaps.return?.();
    }
  });

  it("keep a limit window in the query's order over mixed types, as the query itself answers after each write", async () => {
    const db = new ImpossibleDBClient();
    const items = db.collection<{ v?: JsonValue; w?: number }>(uniqueCollection("listen_window"));
    const query = () => items.query().sort("v", "desc").sort("w").limit(4);
    await items.put("n1", { v: 5, w: 1 });
    await items.put("s1", { v: "b", w: 1 });
    let latest: string[] = [];
    let failure: unknown;
    const controller = new AbortController();
    void (async () => {
      for await (const snap of query().listen({ ...fast, signal: controller.signal })) latest = snap.docs.map((d) => d.id);
    })().catch((err: unknown) => (failure = err));
    const writes: [string, { v?: JsonValue; w?: number } | null][] = [
      ["n2", { v: 7, w: 2 }],
      ["t1", { v: true }],
      ["s2", { v: "\uFFFF" }],
      ["s3", { v: "\u{1F600}" }],
      ["m1", { w: 3 }],
      ["a1", { v: [1], w: 0 }],
      ["o1", { v: { x: 1 }, w: 0 }],
      ["s2", null],
      ["o1", { v: 1 }],
      ["z1", { v: null }],
      ["a1", null],
      ["s3", { v: "a", w: 9 }],
      ["s1", { v: "a", w: 2 }],
    ];
    try {
      for (const [id, data] of writes) {
        if (data === null) await items.delete(id);
        else await items.put(id, data);
        const expected = (await query().execute()).map((d) => d.id);
        await expect.poll(() => (failure === undefined ? latest : failure), { timeout: 10_000 }).toEqual(expected);
      }
    } finally {
      controller.abort();
    }
  });

  it("resume after their streams are cut: every change exactly once, each document's versions in commit order", async () => {
    const cuttable = cuttableTransport();
    const db = new ImpossibleDBClient({ transport: cuttable.transport });
    const name = uniqueCollection("listen_cut");
    const items = db.collection<{ n: number }>(name);
    let reconnects = 0;
    const snaps = items.listen({ ...fast, onReconnect: () => void (reconnects += 1) })[Symbol.asyncIterator]();
    try {
      await collect(snaps, (all) => all.length === 1);
      const ids = Array.from({ length: 8 }, (_, i) => `d${i}`);
      const steps = 24;
      const cuts = [3, 9, 14, 20];
      // The last write to each document (step i of d_i, i + 8, i + 16) sets n to its step.
      const complete = (all: QuerySnapshot<{ n: number }>[]) => {
        const docs = all[all.length - 1]?.docs ?? [];
        return docs.length === ids.length && docs.every((d) => d.data.n === steps - ids.length + ids.indexOf(d.id));
      };
      // The listener reads while the writes go on, so each cut breaks a stream mid-flow.
      const reading = collect(snaps, complete);
      // Each document's versions, in the order the writes returned them.
      const written = new Map<string, bigint[]>();
      for (let step = 0; step < steps; step++) {
        const id = ids[step % ids.length]!;
        const doc = await items.put(id, { n: step });
        written.set(id, [...(written.get(id) ?? []), doc.version]);
        if (cuts.includes(step)) {
          // Cut a stream that is open, not the wait between two.
          await expect.poll(() => cuttable.live(), { timeout: 5_000 }).toBeGreaterThan(0);
          cuttable.cut();
        }
      }
      const seen = await reading;
      const versionsSeen = new Map<string, bigint[]>();
      for (const snap of seen) for (const c of snap.docChanges) versionsSeen.set(c.doc.id, [...(versionsSeen.get(c.doc.id) ?? []), c.doc.version]);
      expect(Object.fromEntries(versionsSeen)).toEqual(Object.fromEntries(written));
      expect(seen.some((s) => s.restarted || s.initial)).toBe(false);
      // Every cut made the listener open a new stream, resuming rather than starting over.
      expect(reconnects).toBeGreaterThanOrEqual(cuts.length);
      expect(cuttable.opened()).toBe(1 + reconnects);
    } finally {
      await snaps.return?.();
    }
  });
});
