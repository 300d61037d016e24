/**
 * The issue's acceptance test for listeners: 1,000 writes (sets, updates,
 * deletes, and transactions across shards) from four concurrent writers
 * while three listeners run: the whole collection, a filter, and the whole
 * collection again, cut off three times mid-stream and resumed from its
 * last resume token. Each listener's changes must equal, exactly and per
 * document, the committed writes that touch its result (computed from the
 * writes' acknowledgements), and every transaction's changes must arrive
 * in one message.
 *
 * Each writer owns its documents (spread over every shard), so the order
 * of one document's writes is its writer's program order. Seeded: the seed
 * is printed on failure.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { DocumentChange_Type, QueryService, type ListenRequest, type ListenResponse } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListenRequestSchema } from "../../gen/impossibledb/v1/query_service_pb.js";
import type { WriteSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { connectClient } from "./helpers.js";

const db = connectClient(CollectionService);
const query = connectClient(QueryService, { binary: true });
const tx = connectClient(TransactionService);

const COLLECTION = "feed";
const WRITERS = 4;
const DOCS_PER_WRITER = 10;
const WRITES_TOTAL = 1000;

type State = { version: number; kind: string } | null;

/** What one listener saw: per document, its changes as "TYPE@version", and the transactions split across messages. */
interface Seen {
  readonly perDoc: Map<string, string[]>;
  /** Transaction id -> the message indexes its changes arrived in. */
  readonly txMessages: Map<string, Set<number>>;
}

/**
 * A listener that commits what it receives only at resume tokens, as a
 * client must for exactly-once delivery: changes after the last token are
 * held, and dropped if the stream is cut (they come again on resume).
 */
class CommittingListener {
  readonly seen: Seen = { perDoc: new Map(), txMessages: new Map() };
  private held: ListenResponse[] = [];
  private token = "";
  private controller = new AbortController();
  private running: Promise<void> = Promise.resolve();
  private messageCount = 0;
  private failure: unknown = null;
  current = false;

  constructor(private readonly request: MessageInitShape<typeof ListenRequestSchema>) {}

  start(): void {
    this.controller = new AbortController();
    const signal = this.controller.signal;
    this.running = (async () => {
      try {
        for await (const m of query.listen({ ...this.request, resumeToken: this.token }, { signal })) this.receive(m);
      } catch (err) {
        if (!signal.aborted) this.failure = err;
      }
    })();
  }

  private receive(m: ListenResponse): void {
    if (m.current) this.current = true;
    this.held.push(m);
    if (m.resumeToken === "") return;
    for (const held of this.held) {
      const index = this.messageCount++;
      for (const c of held.changes) {
        const id = c.document!.id;
        const list = this.seen.perDoc.get(id) ?? [];
        list.push(`${DocumentChange_Type[c.type]}@${c.document!.version}`);
        this.seen.perDoc.set(id, list);
        if (c.transactionId !== "") {
          const at = this.seen.txMessages.get(c.transactionId) ?? new Set<number>();
          at.add(index);
          this.seen.txMessages.set(c.transactionId, at);
        }
      }
    }
    this.held = [];
    this.token = m.resumeToken;
  }

  /** Cuts the stream: what was held after the last token is dropped. */
  async cut(): Promise<void> {
    this.controller.abort();
    await this.running;
    this.held = [];
  }

  async untilCurrent(): Promise<void> {
    for (let i = 0; i < 200 && !this.current; i++) {
      if (this.failure !== null) throw this.failure;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(this.current).toBe(true);
  }

  /** Waits until `done` holds (or fails after `timeoutMs`). */
  async until(done: () => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      if (this.failure !== null) throw this.failure;
      if (Date.now() > deadline) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** The changes a listener must see for one document's history of states. */
function expectedChanges(states: readonly State[], matches: (s: NonNullable<State>) => boolean): string[] {
  const out: string[] = [];
  let was: State = null;
  for (const s of states) {
    const before = was !== null && matches(was);
    const after = s !== null && matches(s);
    if (after) out.push(`${before ? "MODIFIED" : "ADDED"}@${s!.version}`);
    else if (before) out.push(`REMOVED@${was!.version}`);
    was = s;
  }
  return out;
}

describe("Listen under 1,000 concurrent writes", () => {
  it("three listeners (one cut off three times) see exactly the committed changes, transactions whole", async () => {
    const seed = Date.now() % 1_000_000;
    const random = fc.sample(fc.integer({ min: 0, max: 999 }), { seed, numRuns: WRITES_TOTAL * 4 });
    let r = 0;
    const next = (n: number) => random[r++ % random.length]! % n;

    const all = new CommittingListener({ target: { case: "query", value: { collection: COLLECTION } } });
    const hot = new CommittingListener({ target: { case: "query", value: { collection: COLLECTION, filter: 'kind = "hot"' } } });
    const cut = new CommittingListener({ target: { case: "query", value: { collection: COLLECTION } } });
    for (const l of [all, hot, cut]) l.start();
    for (const l of [all, hot, cut]) await l.untilCurrent();

    // Per document, the states its writes committed, in order.
    const history = new Map<string, State[]>();
    const current = new Map<string, State>();
    const record = (id: string, state: State) => {
      current.set(id, state);
      history.set(id, [...(history.get(id) ?? []), state]);
    };
    let written = 0;
    const cutsAt = new Set([250, 500, 750]);

    const writer = async (w: number) => {
      const docs = Array.from({ length: DOCS_PER_WRITER }, (_, k) => `w${w}-d${k}`);
      while (written < WRITES_TOTAL) {
        written++;
        if (cutsAt.has(written)) {
          await cut.cut();
          cut.start();
        }
        const id = docs[next(docs.length)]!;
        const kind = next(2) === 0 ? "hot" : "cold";
        const choice = next(100);
        if (choice < 35) {
          const { document } = await db.setDocument({ ref: { collection: COLLECTION, id }, data: { kind, n: written } });
          record(id, { version: Number(document!.version), kind });
        } else if (choice < 55 && current.get(id)) {
          const { document } = await db.updateDocument({ ref: { collection: COLLECTION, id }, patch: { data: { kind } } });
          record(id, { version: Number(document!.version), kind });
        } else if (choice < 70) {
          const { deleted } = await db.deleteDocument({ ref: { collection: COLLECTION, id } });
          expect(deleted).toBe(current.get(id) !== undefined && current.get(id) !== null);
          if (deleted) record(id, null);
        } else {
          const ids = [...new Set(Array.from({ length: 2 + next(3) }, () => docs[next(docs.length)]!))];
          const ops = ids.map((docId) => ({ docId, del: next(4) === 0, kind: next(2) === 0 ? "hot" : "cold" }));
          const { results } = await tx.commitBatch({
            writes: ops.map((o): MessageInitShape<typeof WriteSchema> =>
              o.del
                ? { ref: { collection: COLLECTION, id: o.docId }, operation: { case: "delete" as const, value: {} } }
                : { ref: { collection: COLLECTION, id: o.docId }, operation: { case: "set" as const, value: { kind: o.kind, n: written } } },
            ),
          });
          ops.forEach((o, i) => {
            if (o.del) {
              if (current.get(o.docId)) record(o.docId, null);
            } else record(o.docId, { version: Number(results[i]!.version), kind: o.kind });
          });
        }
      }
    };
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));

    const expectedAll = new Map([...history].map(([id, states]) => [id, expectedChanges(states, () => true)]));
    const expectedHot = new Map([...history].map(([id, states]) => [id, expectedChanges(states, (s) => s.kind === "hot")]));
    const nonEmpty = (m: Map<string, string[]>) => new Map([...m].filter(([, v]) => v.length > 0));
    const total = (m: Map<string, string[]>) => [...m.values()].reduce((n, v) => n + v.length, 0);
    for (const [listener, expected] of [[all, expectedAll], [hot, expectedHot], [cut, expectedAll]] as const) {
      await listener.until(() => total(listener.seen.perDoc) >= total(expected));
    }
    for (const [name, listener, expected] of [["all", all, expectedAll], ["hot", hot, expectedHot], ["cut", cut, expectedAll]] as const) {
      const got = nonEmpty(listener.seen.perDoc);
      expect(Object.fromEntries([...got].sort()), `listener ${name}, seed ${seed}`).toEqual(Object.fromEntries([...nonEmpty(expected)].sort()));
      for (const [txId, messages] of listener.seen.txMessages) {
        expect(messages.size, `listener ${name}: transaction ${txId} split over messages (seed ${seed})`).toBe(1);
      }
    }
    for (const l of [all, hot, cut]) await l.cut();
  }, 120_000);
});

export type { ListenRequest };
