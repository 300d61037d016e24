/**
 * Field transforms end to end inside workerd, on every write path: single
 * writes (UpdateDocument, SetDocument), BatchWriteDocuments, CommitBatch
 * (one and two shards) and interactive transactions; preconditions,
 * answers, bad input, overflow, and concurrent increments of one document
 * by many clients (no lost update, every version in the change log and at
 * a listener).
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { timestampDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { QueryService, type ListenResponse } from "../../gen/impossibledb/v1/query_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import type { FieldTransformSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { connectClient, expectCode, grpcWebClient } from "./helpers.js";

const db = connectClient(CollectionService);
const dbBinary = connectClient(CollectionService, { binary: true });
const tx = connectClient(TransactionService);
const query = connectClient(QueryService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));

type Transform = MessageInitShape<typeof FieldTransformSchema>;
const num = (n: number) => create(ValueSchema, { kind: { case: "numberValue", value: n } });
const inc = (fieldPath: string, n: number): Transform => ({ fieldPath, transformType: { case: "increment", value: num(n) } });
const max = (fieldPath: string, n: number): Transform => ({ fieldPath, transformType: { case: "maximum", value: num(n) } });
const min = (fieldPath: string, n: number): Transform => ({ fieldPath, transformType: { case: "minimum", value: num(n) } });
const now = (fieldPath: string): Transform => ({ fieldPath, transformType: { case: "serverTimestamp", value: {} } });
const union = (fieldPath: string, values: unknown[]): Transform => ({ fieldPath, transformType: { case: "appendMissingElements", value: { values: values.map(valueOf) } } });
const remove = (fieldPath: string, values: unknown[]): Transform => ({ fieldPath, transformType: { case: "removeAllFromArray", value: { values: values.map(valueOf) } } });
const ref = (collection: string, id: string) => ({ collection, id });

function valueOf(v: unknown) {
  if (typeof v === "number") return num(v);
  if (typeof v === "string") return create(ValueSchema, { kind: { case: "stringValue", value: v } });
  throw new Error("test values are numbers or strings");
}

/** Two ids of `collection` on different shards. */
function idsOnTwoShards(collection: string): [string, string] {
  const first = router.shardFor(collection, "a0");
  for (let i = 1; ; i++) if (router.shardFor(collection, `a${i}`) !== first) return ["a0", `a${i}`];
}

describe("field transforms: single writes", () => {
  it("UpdateDocument increments with no read, answers the document and each transform's result", async () => {
    await db.setDocument({ ref: ref("tf", "one"), data: { n: 41, tags: ["a"], lo: 5, hi: 5 } });
    const res = await db.updateDocument({
      ref: ref("tf", "one"),
      patch: { data: {} },
      transforms: [inc("n", 1), union("tags", ["b", "a", "c"]), max("hi", 9), min("lo", 9), now("at"), inc("stats.views", 2)],
    });
    const doc = res.document!;
    expect(doc.data).toMatchObject({ n: 42, tags: ["a", "b", "c"], lo: 5, hi: 9, stats: { views: 2 } });
    // The server timestamp is the write's update time, as RFC 3339 with milliseconds.
    expect(doc.data!.at).toBe(timestampDate(doc.updateTime!).toISOString());
    expect(res.transformResults.map((v) => v.kind.value)).toHaveLength(6);
    expect(res.transformResults[0]!.kind).toEqual({ case: "numberValue", value: 42 });
    expect(res.transformResults[3]!.kind).toEqual({ case: "numberValue", value: 5 });
    expect((await db.getDocument({ ref: ref("tf", "one") })).document!.data).toEqual(doc.data);
    const removed = await db.updateDocument({ ref: ref("tf", "one"), patch: { data: {} }, transforms: [remove("tags", ["a", "c"])] });
    expect(removed.document!.data!.tags).toEqual(["b"]);
  });

  it("SetDocument applies transforms after its data; a missing field takes the operand", async () => {
    const res = await db.setDocument({ ref: ref("tf", "set"), data: { name: "x" }, transforms: [inc("n", 5), union("t", ["q"])] });
    expect(res.document!.data).toEqual({ name: "x", n: 5, t: ["q"] });
    const again = await db.setDocument({ ref: ref("tf", "set"), data: { name: "y" }, transforms: [inc("n", 5)] });
    // A set replaces the document first, so the increment starts from nothing.
    expect(again.document!.data).toEqual({ name: "y", n: 5 });
  });

  it("an increment of a missing document is NOT_FOUND, as any update; a failed precondition changes nothing", async () => {
    await expectCode(db.updateDocument({ ref: ref("tf", "missing"), patch: { data: {} }, transforms: [inc("n", 1)] }), Code.NotFound);
    const v = (await db.setDocument({ ref: ref("tf", "pre"), data: { n: 1 } })).document!.version;
    await db.updateDocument({ ref: ref("tf", "pre"), patch: { data: {} }, transforms: [inc("n", 1)], precondition: { condition: { case: "version", value: v } } });
    await expectCode(
      db.updateDocument({ ref: ref("tf", "pre"), patch: { data: {} }, transforms: [inc("n", 1)], precondition: { condition: { case: "version", value: v } } }),
      Code.FailedPrecondition,
    );
    expect((await db.getDocument({ ref: ref("tf", "pre") })).document!.data).toEqual({ n: 2 });
  });
});

describe("field transforms: names JavaScript treats specially", () => {
  it("are plain fields in transform paths and in array-union elements", async () => {
    await db.setDocument({ ref: ref("tfkeys", "d"), data: {} });
    const element = create(ValueSchema, { kind: { case: "structValue", value: { fields: JSON.parse('{"__proto__":{"kind":{"case":"numberValue","value":1}}}') } } });
    const res = await dbBinary.updateDocument({
      ref: ref("tfkeys", "d"),
      patch: { data: {} },
      transforms: [inc("constructor", 1), inc("`__proto__`.n", 2), { fieldPath: "list", transformType: { case: "appendMissingElements", value: { values: [element] } } }],
    });
    const stored = (await db.getDocument({ ref: ref("tfkeys", "d") })).document!.data!;
    expect(JSON.stringify(stored)).toBe(JSON.stringify(res.document!.data));
    expect(Object.hasOwn(stored, "constructor") && stored.constructor).toBe(1);
    expect(Object.getOwnPropertyDescriptor(stored, "__proto__")?.value).toEqual({ n: 2 });
    expect(Object.getOwnPropertyDescriptor((stored.list as object[])[0], "__proto__")?.value).toBe(1);
  });
});

describe("field transforms: bad input changes nothing", () => {
  it("refuses overlaps, non-numeric operands, missing kinds, too many transforms and deletes with INVALID_ARGUMENT", async () => {
    await db.setDocument({ ref: ref("tfbad", "d"), data: { n: 1 } });
    const update = (transforms: Transform[], data: Record<string, number> = {}, mask?: string[]) =>
      db.updateDocument({ ref: ref("tfbad", "d"), patch: { data, updateMask: mask === undefined ? undefined : { fieldPaths: mask } }, transforms });
    await expectCode(update([inc("n", 1)], { n: 5 }, ["n"]), Code.InvalidArgument, /overlaps update mask path n/);
    await expectCode(update([inc("n", 1)], { n: 5 }), Code.InvalidArgument, /overlaps field n that the write's data sets/);
    await expectCode(update([inc("n", 1), max("n", 3)]), Code.InvalidArgument, /overlapping fields n and n/);
    // A patch without a mask replaces each top-level field of its data
    // whole and transforms apply after it (documents.md): a transform inside
    // such a field starts from the replaced map. With a mask naming the
    // leaf, the map's other keys stay and the counter counts on.
    await db.setDocument({ ref: ref("tfbad", "m"), data: { m: { x: 10, y: 2 } } });
    await db.updateDocument({ ref: ref("tfbad", "m"), patch: { data: { m: { y: 5 } } }, transforms: [inc("m.x", 1)] });
    expect((await db.getDocument({ ref: ref("tfbad", "m") })).document!.data).toEqual({ m: { y: 5, x: 1 } });
    await db.setDocument({ ref: ref("tfbad", "m"), data: { m: { x: 10, y: 2 } } });
    await db.updateDocument({ ref: ref("tfbad", "m"), patch: { data: { m: { y: 5 } }, updateMask: { fieldPaths: ["m.y"] } }, transforms: [inc("m.x", 1)] });
    expect((await db.getDocument({ ref: ref("tfbad", "m") })).document!.data).toEqual({ m: { x: 11, y: 5 } });
    await expectCode(update([{ fieldPath: "n", transformType: { case: "increment", value: create(ValueSchema, { kind: { case: "stringValue", value: "1" } }) } }]), Code.InvalidArgument, /transforms\[0\]\.increment must be a number/);
    await expectCode(update([{ fieldPath: "n" }]), Code.InvalidArgument);
    await expectCode(update([inc("a..b", 1)]), Code.InvalidArgument, /field_path/);
    await expectCode(update(Array.from({ length: 101 }, (_, i) => inc(`f${i}`, 1))), Code.InvalidArgument);
    await expectCode(
      db.batchWriteDocuments({ writes: [{ ref: ref("tfbad", "d"), operation: { case: "delete", value: {} }, transforms: [inc("n", 1)] }] }),
      Code.InvalidArgument,
      /a delete cannot carry field transforms/,
    );
    // Infinity cannot travel as JSON; binary protobuf can carry it, and it is refused.
    await expectCode(
      dbBinary.updateDocument({ ref: ref("tfbad", "d"), patch: { data: {} }, transforms: [inc("n", Infinity)] }),
      Code.InvalidArgument,
      /must be finite/,
    );
    expect((await db.getDocument({ ref: ref("tfbad", "d") })).document!.data).toEqual({ n: 1 });
  });

  it("answers OUT_OF_RANGE for a sum past the safe integers or the largest double, and keeps the document", async () => {
    const start = await db.setDocument({ ref: ref("tfbad", "big"), data: { i: Number.MAX_SAFE_INTEGER - 1, d: 1.5e308 } });
    await db.updateDocument({ ref: ref("tfbad", "big"), patch: { data: {} }, transforms: [inc("i", 1)] });
    await expectCode(db.updateDocument({ ref: ref("tfbad", "big"), patch: { data: {} }, transforms: [inc("i", 1)] }), Code.OutOfRange, /safe integers/);
    await expectCode(db.updateDocument({ ref: ref("tfbad", "big"), patch: { data: {} }, transforms: [inc("d", 1.5e308)] }), Code.OutOfRange, /overflows/);
    const doc = (await db.getDocument({ ref: ref("tfbad", "big") })).document!;
    expect(doc.data).toEqual({ i: Number.MAX_SAFE_INTEGER, d: 1.5e308 });
    expect(doc.version).toBeGreaterThan(start.document!.version);
  });
});

describe("field transforms: batches and transactions", () => {
  it("BatchWriteDocuments applies them per write and answers their results", async () => {
    await db.setDocument({ ref: ref("tfb", "x"), data: { n: 1 } });
    const res = await db.batchWriteDocuments({
      writes: [
        { ref: ref("tfb", "x"), operation: { case: "update", value: { data: {} } }, transforms: [inc("n", 10)] },
        { ref: ref("tfb", "y"), operation: { case: "set", value: { k: "v" } }, transforms: [inc("n", 3), now("at")] },
      ],
      returnDocuments: true,
    });
    expect(res.statuses.map((s) => s.code)).toEqual([0, 0]);
    expect(res.results[0]!.document!.data).toEqual({ n: 11 });
    expect(res.results[0]!.transformResults[0]!.kind).toEqual({ case: "numberValue", value: 11 });
    expect(res.results[1]!.document!.data).toMatchObject({ k: "v", n: 3 });
    expect(res.results[1]!.transformResults[1]!.kind).toEqual({ case: "stringValue", value: timestampDate(res.results[1]!.updateTime!).toISOString() });
  });

  it("CommitBatch over two shards applies them atomically, or not at all", async () => {
    const [a, b] = idsOnTwoShards("tfc");
    await db.setDocument({ ref: ref("tfc", a), data: { n: 100 } });
    await db.setDocument({ ref: ref("tfc", b), data: { n: 0 } });
    const move = (amount: number, precondition?: { condition: { case: "exists"; value: boolean } }) =>
      tx.commitBatch({
        writes: [
          { ref: ref("tfc", a), operation: { case: "update", value: { data: {} } }, transforms: [inc("n", -amount)] },
          { ref: ref("tfc", b), operation: { case: "update", value: { data: {} } }, transforms: [inc("n", amount)], precondition },
        ],
        returnDocuments: true,
      });
    const res = await move(30);
    expect(res.results.map((r) => r.document!.data!.n)).toEqual([70, 30]);
    expect(res.results.map((r) => r.transformResults[0]!.kind.value)).toEqual([70, 30]);
    await expectCode(move(30, { condition: { case: "exists", value: false } }), Code.FailedPrecondition);
    const docs = await db.batchGetDocuments({ refs: [ref("tfc", a), ref("tfc", b)] });
    expect(docs.results.map((r) => r.document!.data!.n)).toEqual([70, 30]);
  });

  it("an interactive transaction's writes carry them, and its reads validate as usual", async () => {
    const [a, b] = idsOnTwoShards("tft");
    await db.setDocument({ ref: ref("tft", a), data: { n: 1 } });
    const { transaction } = await tx.beginTransaction({});
    const read = await tx.getDocuments({ transaction, refs: [ref("tft", a)] });
    const res = await tx.commit({
      transaction,
      reads: [{ ref: ref("tft", a), version: read.reads[0]!.version }],
      writes: [
        { ref: ref("tft", a), operation: { case: "update", value: { data: { seen: true } } }, transforms: [inc("n", 1), union("log", ["t1"])] },
        { ref: ref("tft", b), operation: { case: "set", value: {} }, transforms: [max("best", 7)] },
      ],
      returnDocuments: true,
    });
    expect(res.results[0]!.document!.data).toEqual({ n: 2, seen: true, log: ["t1"] });
    expect(res.results[1]!.document!.data).toEqual({ best: 7 });
    expect(res.results[0]!.transformResults.map((v) => v.kind.case)).toEqual(["numberValue", "listValue"]);
    expect((await db.getDocument({ ref: ref("tft", a) })).document!.data).toEqual({ n: 2, seen: true, log: ["t1"] });
  });
});

describe("field transforms: one hot document", { timeout: 60_000 }, () => {
  it("N concurrent increments from many clients end at exactly N; every version is in the change log and at a listener", async () => {
    const N = 60;
    const hot = ref("tfhot", "counter");
    await db.setDocument({ ref: hot, data: { n: 0 } });
    const messages: ListenResponse[] = [];
    const controller = new AbortController();
    const listening = (async () => {
      try {
        for await (const m of query.listen({ target: { case: "document", value: hot } }, { signal: controller.signal })) messages.push(m);
      } catch (err) {
        if (!controller.signal.aborted) throw err;
      }
    })();
    const seenN = () => messages.slice(messages.findIndex((m) => m.current) + 1).flatMap((m) => m.changes.map((c) => c.document!.data!.n as number));
    while (!messages.some((m) => m.current)) await new Promise((r) => setTimeout(r, 20));

    // Four clients over two protocols, all at once.
    const clients = [db, dbBinary, grpcWebClient(CollectionService), connectClient(CollectionService)];
    const answers = await Promise.all(
      Array.from({ length: N }, (_, i) => clients[i % clients.length]!.updateDocument({ ref: hot, patch: { data: {} }, transforms: [inc("n", 1)] })),
    );
    // Each answer saw its own increment applied: the results are 1..N, each once.
    expect(answers.map((a) => a.transformResults[0]!.kind.value as number).sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect((await db.getDocument({ ref: hot })).document!.data!.n).toBe(N);

    const shard = router.shardFor(hot.collection, hot.id);
    const logged = await runInDurableObject(env.SHARD.get(env.SHARD.idFromName(shard)), (_o, state) =>
      state.storage.sql.exec<{ data: string }>("SELECT data FROM change_log WHERE collection = ? AND id = ? ORDER BY seq", hot.collection, hot.id).toArray().map((r) => (JSON.parse(r.data) as { n: number }).n),
    );
    // The set, then one row per increment, in order.
    expect(logged).toEqual(Array.from({ length: N + 1 }, (_, i) => i));

    const deadline = Date.now() + 20_000;
    while (seenN().length < N && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    controller.abort();
    await listening;
    expect(seenN()).toEqual(Array.from({ length: N }, (_, i) => i + 1));
  });
});
