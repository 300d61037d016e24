/**
 * The SDK's listeners against a fake Listen served in memory
 * (fake-listen.ts): snapshots in query order, transactions whole, changes
 * applied only at resume tokens, reconnects that neither lose nor repeat a
 * change, the restart after OUT_OF_RANGE, bounded backoff, and errors.
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient, type DocumentListenSnapshot, type ListenOptions, type QuerySnapshot } from "../src/node.js";
import { QueryService, type ListenRequest } from "../src/gen/impossibledb/v1/query_service_pb.js";
import { isListenTransient, isUnreachable } from "../src/listen.js";
import { compareCodePoints, compareValues, documentOrder } from "../src/listen-order.js";
import type { DocumentSnapshot } from "../src/documents.js";
import { FakeListenServer, type CommitOptions } from "./fake-listen.js";

function rig(reconnect: ListenOptions["reconnect"] = {}) {
  const server = new FakeListenServer();
  const requests: ListenRequest[] = [];
  const transport = createRouterTransport((router) =>
    router.service(QueryService, {
      listen(req, ctx) {
        requests.push(req);
        return server.listen(req, ctx);
      },
    }),
  );
  const db = new ImpossibleDBClient({ transport });
  const waits: number[] = [];
  const options: ListenOptions = {
    reconnect: { random: () => 0.5, initialBackoffMs: 100, maxBackoffMs: 400, ...reconnect },
    sleep: async (ms) => void waits.push(ms),
  };
  return { server, db, waits, options, requests, col: db.collection<{ age?: number; n?: number }>(server.collection) };
}

/** Pulls snapshots one at a time. */
function puller<S>(iterable: AsyncIterable<S>) {
  const it = iterable[Symbol.asyncIterator]();
  return {
    next: async (): Promise<S> => {
      const r = await it.next();
      if (r.done === true) throw new Error("the listener ended");
      return r.value;
    },
    stop: async () => void (await it.return?.()),
  };
}

const ids = (docs: DocumentSnapshot[]) => docs.map((d) => d.id);
const changes = (snap: QuerySnapshot) => snap.docChanges.map((c) => `${c.type} ${c.doc.id}@${c.doc.version}${c.transactionId === undefined ? "" : ` ${c.transactionId}`}`);

async function failure(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (err) {
    return ConnectError.from(err);
  }
  throw new Error("expected a failure");
}

describe("query listeners", () => {
  it("yield the initial snapshot in query order, then each commit, a transaction whole in one snapshot", async () => {
    const { server, col, options, requests } = rig();
    server.commit([{ id: "a", data: { age: 30 } }, { id: "b", data: { age: 20 } }, { id: "c", data: { age: 25 } }]);
    const snaps = puller(col.query().where("age", ">", 1).sort("age", "desc").listen(options));
    const first = await snaps.next();
    expect(first).toMatchObject({ initial: true, restarted: false, resumeToken: "1" });
    expect(ids(first.docs)).toEqual(["a", "c", "b"]);
    expect(changes(first)).toEqual(["added a@1", "added b@2", "added c@3"]);
    expect(requests[0]!.target.case).toBe("query");

    server.commit([{ id: "d", data: { age: 40 } }, { id: "b", data: null }], { transactionId: "tx1" });
    const second = await snaps.next();
    expect(second).toMatchObject({ initial: false, restarted: false, resumeToken: "2" });
    expect(ids(second.docs)).toEqual(["d", "a", "c"]);
    expect(changes(second)).toEqual(["added d@4 tx1", "removed b@2 tx1"]);

    server.commit([{ id: "c", data: { age: 50 } }]);
    const third = await snaps.next();
    expect(ids(third.docs)).toEqual(["c", "d", "a"]);
    expect(changes(third)).toEqual(["modified c@5"]);
    await snaps.stop();
  });

  it("keep the server's order for values the client's options decode lossily (timestamps a microsecond apart as Dates, typed values as JSON)", async () => {
    // The server sorts b (…001), a (…002), c (…003). As Dates all three read
    // as the same millisecond; in the JSON form integers past 2^53 round to
    // one double and timestamps become text.
    const at = (micros: number) => ({ kind: { case: "timestampValue" as const, value: { seconds: 1_767_225_600n, nanos: micros * 1000 } } });
    const int = (value: bigint) => ({ kind: { case: "integerValue" as const, value } });
    const typedDocs = [
      { id: "a", fields: { t: at(2), n: int(2n ** 60n + 2n) } },
      { id: "b", fields: { t: at(1), n: int(2n ** 60n + 1n) } },
      { id: "c", fields: { t: at(3), n: int(2n ** 60n + 3n) } },
    ];
    for (const clientOptions of [{}, { timestamps: "timestamp" as const }, { values: "json" as const }, { timestamps: "date" as const, values: "json" as const }]) {
      const server = new FakeListenServer();
      const transport = createRouterTransport((router) => router.service(QueryService, { listen: (req, ctx) => server.listen(req, ctx) }));
      const col = new ImpossibleDBClient({ transport, ...clientOptions }).collection(server.collection);
      server.commit(typedDocs.map(({ id, fields }) => ({ id, data: {}, fields })));
      for (const field of ["t", "n"]) {
        const snaps = puller(col.query().sort(field, "asc").listen({ sleep: async () => {} }));
        const first = await snaps.next();
        expect(ids(first.docs), `${field} ascending, ${JSON.stringify(clientOptions)}`).toEqual(["b", "a", "c"]);
        await snaps.stop();
      }
      const snaps = puller(col.query().sort("t", "desc").listen({ sleep: async () => {} }));
      expect(ids((await snaps.next()).docs)).toEqual(["c", "a", "b"]);
      server.commit([{ id: "d", data: {}, fields: { t: at(0) } }, { id: "b", data: {}, fields: { t: at(4) } }]);
      expect(ids((await snaps.next()).docs), `after a change, ${JSON.stringify(clientOptions)}`).toEqual(["b", "c", "a", "d"]);
      await snaps.stop();
    }
  });

  it("refuse a selection without the sort fields, which the snapshots' order needs", () => {
    const { col } = rig();
    expect(() => col.query().sort("age").select("name").listen()).toThrow(/select\(\) must include the sort fields \(age\)/);
    expect(() => col.query().sort("p.age").select("name", "`p`").listen()).not.toThrow();
    expect(() => col.query().sort("age").select("age").listen()).not.toThrow();
  });

  it("hold the changes of a message without a resume token until the next token", async () => {
    const { server, col, options } = rig();
    const snaps = puller(col.listen(options));
    expect((await snaps.next()).docs).toEqual([]);
    server.commit([{ id: "x", data: { n: 1 } }], { withholdToken: true });
    server.commit([{ id: "y", data: { n: 2 } }]);
    const snap = await snaps.next();
    expect(changes(snap)).toEqual(["added x@1", "added y@2"]);
    expect(snap.resumeToken).toBe("2");
    await snaps.stop();
  });

  it("reconnect from the last token after any break: every change exactly once, in commit order", async () => {
    const breaks = fc.constantFrom<CommitOptions["breakAfter"]>(undefined, undefined, Code.Unavailable, Code.Unknown, Code.Canceled, "end");
    const commit = fc.record({ ids: fc.uniqueArray(fc.constantFrom("a", "b", "c", "d"), { minLength: 1, maxLength: 3 }), withholdToken: fc.boolean(), breakAfter: breaks });
    await fc.assert(
      fc.asyncProperty(fc.array(commit, { minLength: 1, maxLength: 12 }), async (commits) => {
        const { server, col, options } = rig({ attemptsMax: 100 });
        server.commit([{ id: "a", data: { n: 0 } }]);
        const snaps = puller(col.listen(options));
        const seen: string[] = [...changes(await snaps.next())];
        const expected: string[] = [];
        commits.forEach((c, i) => {
          const last = i === commits.length - 1;
          // Removes a present document, else sets it; the last commit carries a token so the listener can finish.
          server.commit(
            c.ids.map((id) => ({ id, data: server.docs.has(id) && (i + id.charCodeAt(0)) % 3 === 0 ? null : { n: i } })),
            { withholdToken: c.withholdToken && !last, breakAfter: c.breakAfter },
          );
          expected.push(...server.log[server.log.length - 1]!.changes.map((ch) => `${["", "added", "modified", "removed"][ch.type]} ${ch.document!.id}@${ch.document!.version}`));
        });
        let snap: QuerySnapshot | undefined;
        while (snap?.resumeToken !== server.head) {
          snap = await snaps.next();
          seen.push(...changes(snap));
        }
        expect(seen.slice(1)).toEqual(expected);
        expect(ids(snap.docs)).toEqual([...server.docs.keys()].sort());
        // Every reconnect resumed from a token: no second snapshot.
        expect(server.opened.slice(1).every((t) => t !== "")).toBe(true);
        // One reconnect per break, but for a break after the last commit, which the listener stops before.
        expect(server.opened.length).toBe(1 + commits.slice(0, -1).filter((c) => c.breakAfter !== undefined).length);
        await snaps.stop();
      }),
      { numRuns: 60 },
    );
  });

  it("start over from a fresh snapshot on OUT_OF_RANGE and say so, with the difference as changes", async () => {
    const { server, col, options } = rig();
    server.commit([{ id: "a", data: { n: 1 } }, { id: "b", data: { n: 1 } }, { id: "c", data: { n: 1 } }]);
    const reconnects: { restart: boolean; code: Code }[] = [];
    const snaps = puller(col.listen({ ...options, onReconnect: (info) => reconnects.push({ restart: info.restart, code: info.error.code }) }));
    expect((await snaps.next()).resumeToken).toBe("1");
    // The log is trimmed past the listener's token, then its stream breaks.
    server.retainedFrom = 10;
    server.commit([{ id: "a", data: { n: 2 } }], { withholdToken: true, breakAfter: Code.Unavailable });
    server.commit([{ id: "b", data: null }]);
    server.commit([{ id: "d", data: { n: 2 } }]);
    const snap = await snaps.next();
    expect(snap).toMatchObject({ initial: false, restarted: true, resumeToken: "4" });
    expect(ids(snap.docs)).toEqual(["a", "c", "d"]);
    expect(changes(snap)).toEqual(["removed b@2", "modified a@4", "added d@5"]);
    expect(server.opened).toEqual(["", "1", ""]);
    expect(reconnects).toEqual([
      { restart: false, code: Code.Unavailable },
      { restart: true, code: Code.OutOfRange },
    ]);
    await snaps.stop();
  });

  it("drop a stream that sends nothing (not even a heartbeat) for idleTimeoutMs and resume from the last token", async () => {
    const { server, col, options } = rig();
    server.commit([{ id: "a", data: { n: 1 } }]);
    const snaps = puller(col.listen({ ...options, idleTimeoutMs: 50 }));
    expect(ids((await snaps.next()).docs)).toEqual(["a"]);
    // The fake stream is silent now: while the caller waits for the next
    // snapshot, the watchdog drops it and the listener resumes with its token.
    const pending = snaps.next();
    await expect.poll(() => server.opened.length, { timeout: 2_000 }).toBeGreaterThanOrEqual(2);
    expect(server.opened[0]).toBe("");
    expect(server.opened[1]).not.toBe("");
    server.commit([{ id: "b", data: { n: 2 } }]);
    expect(changes(await pending)).toEqual(["added b@2"]);
    await snaps.stop();
  });

  it("give up when resumed streams fail right after repeating their token: no progress, no endless reconnects", async () => {
    // As with a limit query that grew past LISTEN_MATCHED_DOCUMENTS_MAX: every resume
    // answers its token again and then RESOURCE_EXHAUSTED.
    const { server, col, options } = rig({ attemptsMax: 4 });
    server.commit([{ id: "a", data: { n: 1 } }]);
    const snaps = puller(col.listen(options));
    await snaps.next();
    server.failAfterResume = Array(20).fill(Code.ResourceExhausted);
    server.commit([{ id: "b", data: { n: 1 } }], { breakAfter: Code.Unavailable });
    await snaps.next();
    expect((await failure(snaps.next())).code).toBe(Code.ResourceExhausted);
    // After the break (one failure), attemptsMax - 1 resumes that made no progress.
    expect(server.opened.filter((t) => t !== "")).toHaveLength(3);
  });

  it("reconnect after a stream Node's transport reports ABORTED (a connection cut mid-stream)", async () => {
    const { server, col, options } = rig();
    const snaps = puller(col.listen(options));
    expect(ids((await snaps.next()).docs)).toEqual([]);
    server.commit([{ id: "a", data: { n: 1 } }], { breakAfter: Code.Aborted });
    expect(changes(await snaps.next())).toEqual(["added a@1"]);
    server.commit([{ id: "b", data: { n: 2 } }]);
    expect(changes(await snaps.next())).toEqual(["added b@2"]);
    expect(server.opened.length).toBe(2);
    await snaps.stop();
  });

  it("give up after attemptsMax streams in a row that reached the server but no token, backing off exponentially", async () => {
    const { server, col, options, waits } = rig({ attemptsMax: 4 });
    server.failOpen = Array(10).fill(Code.DeadlineExceeded);
    expect((await failure(puller(col.listen(options)).next())).code).toBe(Code.DeadlineExceeded);
    expect(server.opened).toHaveLength(4);
    // Full jitter with random() = 0.5: half of 100, 200, 400.
    expect(waits).toEqual([50, 100, 200]);
  });

  it("wait out a server that cannot be reached (a restart) past attemptsMax, backoff capped, until it is back or the signal aborts", async () => {
    const { server, col, options, waits } = rig({ attemptsMax: 3 });
    server.commit([{ id: "a", data: { n: 1 } }]);
    const seen: { attempt: number; unreachable: boolean; code: Code }[] = [];
    const onReconnect: ListenOptions["onReconnect"] = (info) => void seen.push({ attempt: info.attempt, unreachable: info.unreachable, code: info.error.code });
    const snaps = puller(col.listen({ ...options, onReconnect }));
    expect(ids((await snaps.next()).docs)).toEqual(["a"]);
    // The server goes down: the stream is cut (it had answered: counted), then 30 connections are refused (not counted).
    server.failOpen = Array(30).fill(Code.Unavailable);
    server.commit([{ id: "b", data: { n: 2 } }], { breakAfter: Code.Aborted });
    server.commit([{ id: "c", data: { n: 3 } }]);
    expect(changes(await snaps.next())).toEqual(["added b@2"]);
    expect(changes(await snaps.next())).toEqual(["added c@3"]);
    expect(server.opened).toHaveLength(32);
    expect(seen).toHaveLength(31);
    expect(seen[0]).toEqual({ attempt: 1, unreachable: false, code: Code.Aborted });
    expect(seen.slice(1).every((s, i) => s.unreachable && s.code === Code.Unavailable && s.attempt === i + 2)).toBe(true);
    // Half of 100 doubling, capped at maxBackoffMs (400).
    expect(waits.slice(0, 4)).toEqual([50, 100, 200, 200]);
    expect(Math.max(...waits)).toBe(200);
    await snaps.stop();

    // Down for good: only the caller's signal ends it, quietly.
    const down = rig({ attemptsMax: 3 });
    down.server.failOpen = Array(1000).fill(Code.Unavailable);
    const controller = new AbortController();
    const listening = puller(
      down.col.listen({
        ...down.options,
        signal: controller.signal,
        onReconnect: (info) => void (info.attempt === 50 && controller.abort()),
        sleep: async (_ms, signal) => {
          if (signal?.aborted === true) throw signal.reason;
        },
      }),
    );
    await expect(listening.next()).rejects.toThrow("the listener ended");
    expect(down.server.opened).toHaveLength(50);
  });

  it("count a connection the server answered and then ended or broke, even before its first message", async () => {
    // A stream that ends at once, or fails with a code other than UNAVAILABLE, reached the server.
    const { server, col, options } = rig({ attemptsMax: 3 });
    server.failOpen = [Code.Unavailable, Code.Unavailable, Code.Unavailable, Code.Unavailable, Code.Internal];
    expect((await failure(puller(col.listen(options)).next())).code).toBe(Code.Internal);
    expect(server.opened).toHaveLength(5);
  });

  it("reset the count of failures when a token arrives", async () => {
    // Without the reset, the third failure after the token would be the fourth in a row.
    const { server, col, options, waits } = rig({ attemptsMax: 4 });
    server.failOpen = [Code.Unavailable, Code.Unavailable];
    const snaps = puller(col.listen(options));
    await snaps.next();
    server.failOpen = [Code.Unavailable, Code.Unavailable];
    server.commit([{ id: "a", data: { n: 1 } }], { breakAfter: Code.Unavailable });
    server.commit([{ id: "b", data: { n: 1 } }]);
    expect(changes(await snaps.next())).toEqual(["added a@1"]);
    expect(changes(await snaps.next())).toEqual(["added b@2"]);
    expect(waits).toEqual([50, 100, 50, 100, 200]);
    await snaps.stop();
  });

  it("end on other errors: the iterator throws them and onSnapshot hands them to onError", async () => {
    for (const code of [Code.InvalidArgument, Code.NotFound, Code.Internal, Code.PermissionDenied]) {
      const { server, col, options } = rig();
      server.failOpen = [code];
      expect((await failure(puller(col.listen(options)).next())).code).toBe(code);
      expect(server.opened).toHaveLength(1);
    }
    // OUT_OF_RANGE without a token to forget, and RESOURCE_EXHAUSTED before the first token, are final too.
    for (const code of [Code.OutOfRange, Code.ResourceExhausted]) {
      const { server, col, options } = rig();
      server.failOpen = [code];
      const error = await new Promise<ConnectError>((resolve) => col.onSnapshot(() => {}, resolve, options));
      expect(error.code).toBe(code);
      expect(server.opened).toHaveLength(1);
    }
  });

  it("stop calling back and cancel the stream when unsubscribed", async () => {
    const { server, col, options } = rig();
    const seen: QuerySnapshot[] = [];
    const first = new Promise<void>((resolve) => {
      const unsubscribe = col.onSnapshot(
        (snap) => {
          seen.push(snap);
          unsubscribe();
          resolve();
        },
        (err) => seen.push(err as never),
        options,
      );
    });
    await first;
    server.commit([{ id: "a", data: { n: 1 } }]);
    await expect.poll(() => server.cancelled).toBe(1);
    expect(seen).toHaveLength(1);
  });
});

describe("document listeners", () => {
  it("see a missing document as null, then its creation, changes and deletion in commit order", async () => {
    const { server, db, options, requests } = rig();
    const snaps = puller(db.collection(server.collection).doc("a").listen(options));
    const states: DocumentListenSnapshot[] = [await snaps.next()];
    server.commit([{ id: "a", data: { n: 1 } }]);
    server.commit([{ id: "a", data: { n: 2 } }], { transactionId: "t" });
    server.commit([{ id: "a", data: null }]);
    for (let i = 0; i < 3; i++) states.push(await snaps.next());
    expect(states.map((s) => [s.initial, s.change, s.doc?.data ?? null, s.transactionId])).toEqual([
      [true, undefined, null, undefined],
      [false, "added", { n: 1 }, undefined],
      [false, "modified", { n: 2 }, "t"],
      [false, "removed", null, undefined],
    ]);
    expect(requests[0]!.target).toMatchObject({ case: "document", value: { collection: "c", id: "a" } });
    await snaps.stop();
  });
});

describe("the order of a listener's documents", () => {
  const doc = (id: string, data: Record<string, unknown>) => ({ collection: "c", id, data, version: 1n }) as DocumentSnapshot;

  it("ranks types as the server does: missing, null, false, true, numbers, strings, arrays, maps", () => {
    const values = [undefined, null, false, true, -1, 2.5, "", "a", [], [9], {}, { a: 1 }];
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) {
        const c = Math.sign(compareValues(values[i] as never, values[j] as never));
        const sameRank = (i >= 8 && i <= 9 && j >= 8 && j <= 9) || (i >= 10 && j >= 10);
        expect(c, `${JSON.stringify(values[i])} vs ${JSON.stringify(values[j])}`).toBe(sameRank ? 0 : Math.sign(i - j));
      }
    }
  });

  it("compares strings by code point, not UTF-16 unit", () => {
    expect(compareCodePoints("\uFFFF", "\u{1F600}")).toBeLessThan(0);
    expect("\uFFFF" < "\u{1F600}").toBe(false);
    expect(compareCodePoints("ab", "abc")).toBeLessThan(0);
  });

  it("breaks ties with later keys, then the id in the last key's direction; reads dotted and quoted paths", () => {
    const docs = [doc("a", { x: 1, p: { q: 2 } }), doc("b", { x: 1, p: { q: 1 } }), doc("c", { x: 0 }), doc("d", { x: 1, p: { q: 1 } })];
    expect(ids([...docs].sort(documentOrder([{ field: "x", descending: true }, { field: "p.q", descending: false }])))).toEqual(["b", "d", "a", "c"]);
    expect(ids([...docs].sort(documentOrder([{ field: "x", descending: false }, { field: "`p`.q", descending: true }])))).toEqual(["c", "a", "d", "b"]);
    expect(ids([...docs].sort(documentOrder([])))).toEqual(["a", "b", "c", "d"]);
  });
});

describe("which failures a listener reconnects after", () => {
  it("takes only failures to reach the server (UNAVAILABLE, a browser's failed fetch) before any message as unreachable", () => {
    expect(isUnreachable(new ConnectError("connect ECONNREFUSED", Code.Unavailable), false)).toBe(true);
    expect(isUnreachable(ConnectError.from(new TypeError("Failed to fetch")), false)).toBe(true);
    expect(isUnreachable(new ConnectError("x", Code.Unavailable), true)).toBe(false);
    expect(isUnreachable(ConnectError.from(new Error("boom")), false)).toBe(false);
    for (const code of [Code.Unknown, Code.Aborted, Code.DeadlineExceeded, Code.Internal, Code.ResourceExhausted]) expect(isUnreachable(new ConnectError("x", code), false)).toBe(false);
  });


  it("retries the network's failures and resumable exhaustion, not the caller's mistakes", () => {
    const transient = (code: Code, message = "x", token = true) => isListenTransient(new ConnectError(message, code), token);
    for (const code of [Code.Unavailable, Code.Unknown, Code.Canceled, Code.Aborted, Code.DeadlineExceeded]) expect(transient(code)).toBe(true);
    for (const code of [Code.InvalidArgument, Code.NotFound, Code.PermissionDenied, Code.FailedPrecondition, Code.Internal, Code.Unimplemented]) {
      expect(transient(code)).toBe(false);
    }
    expect(transient(Code.ResourceExhausted, "buffered", true)).toBe(true);
    expect(transient(Code.ResourceExhausted, "matches too much", false)).toBe(false);
    expect(transient(Code.InvalidArgument, "protocol error: missing EndStreamResponse")).toBe(true);
    expect(transient(Code.Internal, "protocol error: missing trailer")).toBe(true);
  });
});
