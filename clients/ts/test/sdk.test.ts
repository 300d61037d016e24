/**
 * What the SDK sends and how it reads the answers, against services served
 * in memory: Collection, QueryBuilder, Transaction and runTransaction.
 */
import { toJson, type JsonObject } from "@bufbuild/protobuf";
import { timestampFromDate, ValueSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createRouterTransport, type ServiceImpl, type Transport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { avg, count, ImpossibleDBClient } from "../src/node.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { QueryService, type RunQueryRequest } from "../src/gen/impossibledb/v1/query_service_pb.js";
import { FieldFilter_Operator, Order_Direction, Aggregation_Function } from "../src/gen/impossibledb/v1/query_pb.js";
import { TransactionService, type CommitRequest } from "../src/gen/impossibledb/v1/transaction_service_pb.js";

function client(impl: {
  collection?: Partial<ServiceImpl<typeof CollectionService>>;
  query?: Partial<ServiceImpl<typeof QueryService>>;
  transaction?: Partial<ServiceImpl<typeof TransactionService>>;
}, options: { retry?: false } = {}) {
  const transport = createRouterTransport((router) => {
    router.service(CollectionService, impl.collection ?? {});
    router.service(QueryService, impl.query ?? {});
    router.service(TransactionService, impl.transaction ?? {});
  });
  return new ImpossibleDBClient({ transport, retry: options.retry ?? { initialBackoffMs: 1, maxBackoffMs: 2 } });
}

const when = new Date("2026-01-02T03:04:05.000Z");

describe("database option", () => {
  it("get answers null for a missing document and throws for a missing database", async () => {
    let missing = "document users/nobody does not exist";
    const db = client({
      collection: {
        getDocument() {
          throw new ConnectError(missing, Code.NotFound);
        },
      },
    });
    expect(await db.collection("users").get("nobody")).toBeNull();
    missing = "database nope does not exist: create it with AdminService.CreateDatabase";
    await expect(db.collection("users").get("nobody")).rejects.toThrow(/database nope does not exist/);
  });

  it("sends the impossibledb-database header on every call, and none without the option", async () => {
    const seen: Array<string | null> = [];
    const transport = createRouterTransport((router) => {
      router.service(CollectionService, {
        getDocument(req, ctx) {
          seen.push(ctx.requestHeader.get("impossibledb-database"));
          return { document: { collection: req.ref!.collection, id: req.ref!.id, data: {}, version: 1n } };
        },
      });
      router.service(TransactionService, {
        beginTransaction(_req, ctx) {
          seen.push(ctx.requestHeader.get("impossibledb-database"));
          return { transaction: "tx" };
        },
      });
    });
    const orders = new ImpossibleDBClient({ transport, database: "orders" });
    expect(orders.database).toBe("orders");
    await orders.collection("c").get("1");
    await orders.services.transaction.beginTransaction({});
    await new ImpossibleDBClient({ transport }).collection("c").get("1");
    expect(seen).toEqual(["orders", "orders", null]);
  });
});

describe("Collection", () => {
  it("puts and gets plain JSON with versions and dates, and gets null for a missing document", async () => {
    const store = new Map<string, JsonObject>();
    const db = client({
      collection: {
        setDocument(req) {
          store.set(req.ref!.id, req.data!);
          return { document: { collection: req.ref!.collection, id: req.ref!.id, data: req.data, version: 1n, updateTime: timestampFromDate(when) } };
        },
        getDocument(req) {
          const data = store.get(req.ref!.id);
          if (data === undefined) throw new ConnectError("no such document", Code.NotFound);
          return { document: { collection: req.ref!.collection, id: req.ref!.id, data, version: 1n } };
        },
      },
    });
    const put = await db.collection("users").put("u1", { name: "Alice" });
    expect(put).toMatchObject({ collection: "users", id: "u1", data: { name: "Alice" }, version: 1n, updateTime: when });
    expect((await db.collection("users").get("u1"))?.data).toEqual({ name: "Alice" });
    expect(await db.collection("users").get("nobody")).toBeNull();
  });

  it("sends update masks and preconditions, and surfaces server errors with their codes", async () => {
    let seen: unknown;
    const db = client({
      collection: {
        updateDocument(req) {
          seen = { mask: req.patch?.updateMask?.fieldPaths, precondition: req.precondition?.condition };
          throw new ConnectError("version mismatch", Code.FailedPrecondition);
        },
      },
    });
    const err = await db
      .collection("users")
      .update("u1", { age: 31 }, { mask: ["age"], precondition: { version: 4n } })
      .catch((e: unknown) => ConnectError.from(e));
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).code).toBe(Code.FailedPrecondition);
    expect(seen).toEqual({ mask: ["age"], precondition: { case: "version", value: 4n } });
  });

  it("reports each batch write's own outcome", async () => {
    const db = client({
      collection: {
        batchWriteDocuments(req) {
          expect(req.writes.map((w) => w.operation.case)).toEqual(["set", "create", "delete"]);
          return {
            statuses: [{ code: 0 }, { code: Code.AlreadyExists, message: "exists" }, { code: 0 }],
            results: [{ ref: req.writes[0]!.ref, version: 3n, document: { id: "a", data: { x: 1 }, version: 3n } }, {}, { ref: req.writes[2]!.ref, version: 0n }],
          };
        },
      },
    });
    const out = await db.collection("c").batch().set("a", { x: 1 }).create("b", { y: 2 }).delete("c").commit();
    expect(out.map((o) => [o.ok, o.code])).toEqual([
      [true, 0],
      [false, Code.AlreadyExists],
      [true, 0],
    ]);
    expect(out[0]?.result?.version).toBe(3n);
    expect(out[1]).toMatchObject({ message: "exists", result: undefined });
  });

  it("a batch is sent once: a second commit, or a write added after one, is refused with nothing sent, unless an atomic commit was refused", async () => {
    let sent = 0;
    let refuse = false;
    const db = client({
      collection: {
        batchWriteDocuments(req) {
          sent++;
          return { statuses: req.writes.map(() => ({ code: 0 })), results: req.writes.map((w) => ({ ref: w.ref, version: 1n })) };
        },
      },
      transaction: {
        commitBatch(req) {
          sent++;
          if (refuse) throw new ConnectError("document c/b already exists", Code.AlreadyExists);
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 1n })) };
        },
      },
    });
    const batch = db.collection("c").batch().set("a", { x: 1 });
    await batch.commit();
    for (const again of [() => batch.commit(), () => batch.commitAtomic()]) {
      expect((await again().catch((e: unknown) => ConnectError.from(e))) as ConnectError).toMatchObject({ code: Code.FailedPrecondition });
    }
    expect(() => batch.set("b", { x: 2 })).toThrow(/already sent/);
    expect(sent).toBe(1);
    // Two at once: one is sent.
    const twice = db.collection("c").batch().set("a", { x: 1 });
    const both = await Promise.allSettled([twice.commitAtomic(), twice.commitAtomic()]);
    expect(both.map((r) => r.status)).toEqual(["fulfilled", "rejected"]);
    expect(sent).toBe(2);
    // A refused atomic commit applied nothing: the batch may go again, per shard.
    refuse = true;
    const refused = db.collection("c").batch().set("a", { x: 1 }).create("b", {});
    expect((await refused.commitAtomic().catch((e: unknown) => ConnectError.from(e))) as ConnectError).toMatchObject({ code: Code.AlreadyExists });
    expect((await refused.commit()).map((o) => o.ok)).toEqual([true, true]);
    expect(sent).toBe(4);
  });

  // commit() and commitAtomic() share one send (WriteBatch.send): a lost
  // answer leaves the outcome unknown and the batch sent, for both.
  it("commit and commitAtomic answer a lost answer alike: outcome unknown, read the documents, and the batch stays sent", async () => {
    let sent = 0;
    const lost = () => {
      sent++;
      throw new ConnectError("connection reset", Code.Unavailable);
    };
    const db = client({ collection: { batchWriteDocuments: lost }, transaction: { commitBatch: lost } });
    for (const send of [(b: ReturnType<typeof batchOf>) => b.commit(), (b: ReturnType<typeof batchOf>) => b.commitAtomic()]) {
      const batch = batchOf(db);
      const cut = ConnectError.from(await send(batch).catch((e: unknown) => e));
      expect(cut.code).toBe(Code.Unavailable);
      expect(cut.rawMessage).toMatch(/outcome is unknown.*read the documents to see whether its writes were applied \(a batch is sent once\)/);
      expect(ConnectError.from(await send(batch).catch((e: unknown) => e)).code).toBe(Code.FailedPrecondition);
    }
    expect(sent).toBe(2);
  });

  it("a batch refuses a second write of one document when it is added, in the server's words, and sends nothing for it", async () => {
    let sent = 0;
    const db = client({
      transaction: {
        commitBatch(req) {
          sent++;
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 1n })) };
        },
      },
    });
    const batch = db.collection("c").batch().set("a", { x: 1 }).set("b", { x: 1 });
    const refused = (() => {
      try {
        batch.update("a", { x: 2 });
      } catch (e) {
        return ConnectError.from(e);
      }
    })();
    expect(refused).toMatchObject({ code: Code.InvalidArgument, rawMessage: "writes[2] writes c/a again; a batch may write each document once" });
    expect(() => batch.delete("b")).toThrow(/writes\[2\] writes c\/b again/);
    expect(sent).toBe(0);
    // The refused writes were not added: the batch still sends its two.
    expect(await batch.commitAtomic()).toHaveLength(2);
    expect(sent).toBe(1);
  });

  it("commitAtomic sends one CommitBatch: every write or none, throwing the refusal", async () => {
    const sent: string[][] = [];
    let refuse = false;
    const db = client({
      transaction: {
        commitBatch(req) {
          sent.push(req.writes.map((w) => `${w.operation.case} ${w.ref?.id}`));
          if (refuse) throw new ConnectError("document c/b already exists", Code.AlreadyExists);
          return { results: req.writes.map((w, i) => ({ ref: w.ref, version: BigInt(10 + i) })) };
        },
      },
    });
    const out = await db.collection("c").batch().set("a", { x: 1 }).delete("c").commitAtomic();
    expect(out.map((o) => o.version)).toEqual([10n, 11n]);
    refuse = true;
    const err = await db.collection("c").batch().set("a", { x: 2 }).create("b", { y: 2 }).commitAtomic().catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.AlreadyExists);
    expect(sent).toEqual([["set a", "delete c"], ["set a", "create b"]]);
  });
});

describe("QueryBuilder", () => {
  it("sends where/sort/limit/offset/select as one query, and reads every page", async () => {
    const requests: RunQueryRequest[] = [];
    const db = client({
      query: {
        runQuery(req) {
          requests.push(req);
          const page = req.pageToken === "" ? 0 : Number(req.pageToken);
          return { documents: [{ id: `d${page}`, data: { n: page } }], nextPageToken: page < 2 ? String(page + 1) : "" };
        },
      },
    });
    const docs = await db.collection("users").query().where("age", ">", 21).where("status", "==", "active").sort("lastName", "asc").sort("age", "desc").limit(10).offset(20).select("name").execute();
    expect(docs.map((d) => d.id)).toEqual(["d0", "d1", "d2"]);
    expect(requests.map((r) => r.pageToken)).toEqual(["", "1", "2"]);
    const q = requests[0]!.query!;
    expect(q.collection).toBe("users");
    expect(q.limit).toBe(10);
    expect(q.offset).toBe(20);
    expect(q.select?.fieldPaths).toEqual(["name"]);
    expect(q.orderBy.map((o) => [o.field, o.direction])).toEqual([
      ["lastName", Order_Direction.ASCENDING],
      ["age", Order_Direction.DESCENDING],
    ]);
    if (q.where?.filterType.case !== "compositeFilter") throw new Error("two where() calls should be an AND");
    const parts = q.where.filterType.value.filters.map((f) => (f.filterType.case === "fieldFilter" ? f.filterType.value : undefined));
    expect(parts.map((p) => [p?.field, p?.op, p?.value === undefined ? undefined : toJson(ValueSchema, p.value)])).toEqual([
      ["age", FieldFilter_Operator.GREATER_THAN, 21],
      ["status", FieldFilter_Operator.EQUAL, "active"],
    ]);
  });

  it("streams documents and computes aggregates", async () => {
    const db = client({
      query: {
        async *streamQuery() {
          yield { result: { case: "document", value: { id: "a" } } };
          yield { result: { case: "document", value: { id: "b" } } };
          yield { result: { case: "plan", value: { shardsTotal: 8 } } };
        },
        runAggregationQuery(req) {
          expect(req.aggregations.map((a) => [a.alias, a.function, a.field])).toEqual([
            ["n", Aggregation_Function.COUNT, ""],
            ["meanAge", Aggregation_Function.AVG, "age"],
          ]);
          expect(req.groupBy).toEqual(["status"]);
          return { groups: [{ key: [{ kind: { case: "stringValue", value: "active" } }], results: { n: { kind: { case: "numberValue", value: 2 } } } }] };
        },
      },
    });
    const ids: string[] = [];
    for await (const doc of db.collection("users").query().stream()) ids.push(doc.id);
    expect(ids).toEqual(["a", "b"]);
    const groups = await db.collection("users").query().where("age", ">=", 0).aggregate({ n: count(), meanAge: avg("age") }, { groupBy: ["status"] });
    expect(groups).toEqual([{ key: ["active"], values: { n: 2 } }]);
  });

  it("refuses a sort direction other than \"asc\" and \"desc\" at the call, naming it, rather than sorting ascending", () => {
    const query = client({}).collection("users").query();
    expect(() => query.sort("t", "DESC" as never)).toThrow(new TypeError('query on users: sort("t", "DESC"): the direction must be "asc" or "desc"; did you mean "desc"?'));
    expect(() => query.sort("t", "descending" as never)).toThrow(/did you mean "desc"\?/);
    expect(() => query.sort("t", "Ascending" as never)).toThrow(/did you mean "asc"\?/);
    expect(() => query.sort("t", "sideways" as never)).toThrow(/^query on users: sort\("t", "sideways"\): the direction must be "asc" or "desc"$/);
    for (const bad of ["constructor", "", null, -1]) expect(() => query.sort("t", bad as never)).toThrow(TypeError);
    expect(() => query.sort("t").sort("u", "asc").sort("v", "desc")).not.toThrow();
  });

  it("refuses a bad limit before sending anything", () => {
    const db = client({});
    expect(() => db.collection("users").query().limit(-1)).toThrow(RangeError);
  });
});

describe("Transaction", () => {
  it("runs the seed's chained transaction: reads, then all writes in one commit", async () => {
    const calls: string[] = [];
    let commit: CommitRequest | undefined;
    const db = client({
      transaction: {
        getDocuments(req) {
          calls.push(`read ${req.refs.map((r) => `${r.collection}/${r.id}`).join(",")}`);
          return { transaction: "tx1", reads: [{ ref: req.refs[0], document: { id: "user123", data: { name: "Alice" }, version: 5n }, version: 5n }] };
        },
        commit(req) {
          calls.push("commit");
          commit = req;
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 9n })), commitTime: timestampFromDate(when) };
        },
      },
    });
    const tx = db.createTransaction();
    tx.read("users", "user123").write("orders", "order456", { product: "Widget", quantity: 5 }).delete("carts", "cart789");
    const out = await tx.commit();
    // No BeginTransaction: the read begins the transaction and names its id.
    expect(calls).toEqual(["read users/user123", "commit"]);
    expect(commit?.transaction).toBe("tx1");
    expect(commit?.writes.map((w) => [w.ref?.collection, w.ref?.id, w.operation.case])).toEqual([
      ["orders", "order456", "set"],
      ["carts", "cart789", "delete"],
    ]);
    // The version read goes back with the commit, to be validated there.
    expect(commit?.reads.map((r) => [r.ref?.collection, r.ref?.id, r.version])).toEqual([["users", "user123", 5n]]);
    expect(out.reads[0]?.data).toEqual({ name: "Alice" });
    expect(out.commitTime).toEqual(when);
    expect(() => tx.write("a", "b", {})).toThrow(ConnectError);
  });

  it("runTransaction runs the function again in a fresh transaction when the commit aborts", async () => {
    let begun = 0;
    let commits = 0;
    let runs = 0;
    const retryOf: string[] = [];
    const db = client({
      transaction: {
        getDocuments: (req) => {
          retryOf.push(req.newTransaction?.retryOf ?? "");
          return { transaction: `tx${++begun}`, reads: [{ ref: req.refs[0], document: { id: "acct", data: { balance: 10 }, version: 1n }, version: 1n }] };
        },
        commit(req) {
          commits += 1;
          if (commits < 3) throw new ConnectError("read version changed", Code.Aborted);
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 2n })) };
        },
        rollback: () => ({}),
      },
    });
    const balance = await db.runTransaction(async (tx) => {
      runs += 1;
      const acct = await tx.get<{ balance: number }>("accounts", "acct");
      tx.update("accounts", "acct", { balance: (acct?.data.balance ?? 0) - 1 });
      return (acct?.data.balance ?? 0) - 1;
    });
    expect(balance).toBe(9);
    expect(runs).toBe(3);
    expect(begun).toBe(3);
    // Each retry names the attempt it retries, so the server gives it priority.
    expect(retryOf).toEqual(["", "tx1", "tx2"]);
  });

  it("a read-modify-write makes two calls, GetDocuments then Commit, and never BeginTransaction", async () => {
    const calls: string[] = [];
    let commit: CommitRequest | undefined;
    const db = client({
      transaction: {
        beginTransaction() {
          calls.push("BeginTransaction");
          return { transaction: "begun" };
        },
        getDocuments(req) {
          calls.push(req.newTransaction === undefined ? `GetDocuments(${req.transaction})` : `GetDocuments(new, readOnly=${req.newTransaction.readOnly}, timeout=${req.newTransaction.timeout?.seconds})`);
          return { transaction: req.newTransaction === undefined ? "" : "tx9", reads: req.refs.map((ref) => ({ ref, document: { id: ref.id, data: { n: 1 }, version: 4n }, version: 4n })) };
        },
        commit(req) {
          calls.push(`Commit(${req.transaction})`);
          commit = req;
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 5n })) };
        },
      },
    });
    await db.runTransaction(
      async (tx) => {
        // Two reads at once: one begins the transaction, the other waits for its id.
        const [a, b] = await Promise.all([tx.get<{ n: number }>("c", "a"), tx.get<{ n: number }>("c", "b")]);
        tx.update("c", "a", { n: a!.data.n - 1 }).update("c", "b", { n: b!.data.n + 1 });
      },
      { timeoutMs: 5_000 },
    );
    expect(calls).toEqual(["GetDocuments(new, readOnly=false, timeout=5)", "GetDocuments(tx9)", "Commit(tx9)"]);
    expect(commit?.reads.map((r) => r.ref?.id)).toEqual(["a", "b"]);
  });

  it("a transaction that never reads begins with its commit; one whose first read failed begins with the next", async () => {
    const commits: CommitRequest[] = [];
    let reads = 0;
    const db = client({
      transaction: {
        getDocuments(req) {
          reads += 1;
          if (reads === 1) throw new ConnectError("try again", Code.Unavailable);
          return { transaction: req.newTransaction === undefined ? "" : "tx2", reads: req.refs.map((ref) => ({ ref, version: 0n })) };
        },
        commit(req) {
          commits.push(req);
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 1n })) };
        },
      },
    }, { retry: false });
    await db.createTransaction({ readOnly: false }).write("c", "x", { n: 1 }).commit();
    expect(commits[0]?.transaction).toBe("");
    expect(commits[0]?.newTransaction?.readOnly).toBe(false);

    const tx = db.createTransaction();
    await expect(tx.get("c", "y")).rejects.toThrow(/try again/);
    expect(tx.transactionId).toBeUndefined();
    await tx.get("c", "y");
    expect(tx.transactionId).toBe("tx2");
    await tx.write("c", "y", { n: 1 }).commit();
    expect(commits[1]?.transaction).toBe("tx2");
    expect(commits[1]?.newTransaction).toBeUndefined();
  });

  it("reads waiting on a first read that failed begin the transaction once, not once each", async () => {
    const began: string[] = [];
    let reads = 0;
    const db = client(
      {
        transaction: {
          async getDocuments(req) {
            reads += 1;
            if (reads === 1) {
              await new Promise((resolve) => setTimeout(resolve, 5));
              throw new ConnectError("try again", Code.Unavailable);
            }
            if (req.newTransaction !== undefined) began.push(req.refs[0]!.id);
            return { transaction: req.newTransaction === undefined ? "" : `tx${reads}`, reads: req.refs.map((ref) => ({ ref, version: 0n })) };
          },
        },
      },
      { retry: false },
    );
    const tx = db.createTransaction();
    const outcomes = await Promise.allSettled([tx.get("c", "a"), tx.get("c", "b"), tx.get("c", "c")]);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "fulfilled", "fulfilled"]);
    // One of the two waiters began the transaction; the other used its id.
    expect(began).toHaveLength(1);
    expect(tx.transactionId).toBe("tx2");
  });

  it("runTransaction does not run the function again when the connection breaks after the commit: the outcome is unknown, not ABORTED", async () => {
    // Connect for Node reports a reset connection as ABORTED with the Node
    // error as its cause; runTransaction took it for the server's ABORTED
    // and committed the transaction a second time (a new user's proxy).
    let commits = 0;
    let runs = 0;
    const served = createRouterTransport((router) => {
      router.service(TransactionService, {
        getDocuments: (req) => ({ transaction: `tx${commits}`, reads: [{ ref: req.refs[0], document: { id: "n", data: { n: commits }, version: 1n }, version: 1n }] }),
        commit(req) {
          commits += 1;
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 2n })) };
        },
        rollback: () => ({}),
      });
    });
    for (const [code, nodeCode] of [[Code.Aborted, "ECONNRESET"], [Code.Internal, "EPIPE"]] as const) {
      commits = 0;
      runs = 0;
      const transport: Transport = {
        unary: async (method, signal, timeoutMs, header, input, contextValues) => {
          const res = await served.unary(method, signal, timeoutMs, header, input, contextValues);
          if (method.name !== "Commit") return res;
          const cut = new ConnectError(nodeCode === "ECONNRESET" ? "socket hang up" : "write EPIPE", code);
          cut.cause = Object.assign(new Error(cut.rawMessage), { code: nodeCode });
          throw cut;
        },
        stream: served.stream,
      };
      const db = new ImpossibleDBClient({ transport, retry: { initialBackoffMs: 1, maxBackoffMs: 2 } });
      const err = await db
        .runTransaction(async (tx) => {
          runs += 1;
          await tx.get("counters", "n");
          tx.update("counters", "n", { n: 1 });
        })
        .then(() => null, (e: unknown) => ConnectError.from(e));
      expect(err?.code, err?.message).toBe(Code.Unavailable);
      expect(err?.rawMessage).toMatch(/outcome is unknown/);
      expect(runs).toBe(1);
      expect(commits).toBe(1);
    }
  });

  it("a server stream cut after its first message (a reset Connect reports as ABORTED) fails UNAVAILABLE, as a reset before it does", async () => {
    const served = createRouterTransport((router) => {
      router.service(QueryService, {
        async *listen() {
          yield { current: true, resumeToken: "t1" };
        },
      });
    });
    const transport: Transport = {
      unary: served.unary,
      async stream(method, signal, timeoutMs, header, input, contextValues) {
        const res = await served.stream(method, signal, timeoutMs, header, input, contextValues);
        async function* thenCut() {
          for await (const m of res.message) yield m;
          const cut = new ConnectError("socket hang up", Code.Aborted);
          cut.cause = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
          throw cut;
        }
        return { ...res, message: thenCut() };
      },
    };
    const db = new ImpossibleDBClient({ transport, retry: { initialBackoffMs: 1, maxBackoffMs: 2 } });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const m of db.services.query.listen({ target: { case: "document", value: { collection: "c", id: "a" } } })) seen.push(m.resumeToken);
    })().then(() => null, (e: unknown) => ConnectError.from(e));
    expect(seen).toEqual(["t1"]);
    expect(err?.code, err?.message).toBe(Code.Unavailable);
    expect(err?.rawMessage).toMatch(/connection broke while the stream was open \(ECONNRESET/);
  });

  it("runTransaction that gives up says after how many attempts and names attemptsMax, not the server's advice to retry alone", async () => {
    const serverWords = "transaction t9 aborted: a newer write won; retry it as a new transaction";
    const db = client({
      transaction: {
        commit() {
          throw new ConnectError(serverWords, Code.Aborted);
        },
        rollback: () => ({}),
      },
    });
    const err = (await db.runTransaction((tx) => void tx.write("a", "b", {}), { attemptsMax: 3, retry: { initialBackoffMs: 1, maxBackoffMs: 1 } }).catch((e: unknown) => e)) as ConnectError;
    expect(err).toBeInstanceOf(ConnectError);
    expect(err.code).toBe(Code.Aborted);
    expect(err.rawMessage).toBe(
      `the transaction gave up after 3 attempts, each aborted (runTransaction's attemptsMax option, 10 by default, allows more); the last attempt: ${serverWords}`,
    );
    expect((err.cause as ConnectError).rawMessage).toBe(serverWords);
  });

  it("runTransaction gives up after attemptsMax aborts and does not retry other errors", async () => {
    let commits = 0;
    const db = client({
      transaction: {
        commit() {
          commits += 1;
          throw new ConnectError("conflict", Code.Aborted);
        },
        rollback: () => ({}),
      },
    });
    const err = await db.runTransaction((tx) => void tx.write("a", "b", {}), { attemptsMax: 2 }).catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Aborted);
    expect(commits).toBe(2);

    let runs = 0;
    const bad = await db
      .runTransaction(() => {
        runs += 1;
        throw new ConnectError("bad input", Code.InvalidArgument);
      })
      .catch((e: unknown) => ConnectError.from(e));
    expect((bad as ConnectError).code).toBe(Code.InvalidArgument);
    expect(runs).toBe(1);
  });
});

describe("base URL", () => {
  it("comes from the constructor, else IMPOSSIBLEDB_URL, else the local default", () => {
    const saved = process.env["IMPOSSIBLEDB_URL"];
    try {
      process.env["IMPOSSIBLEDB_URL"] = "http://db.example:9999";
      expect(new ImpossibleDBClient({ baseUrl: "http://explicit:1" }).baseUrl).toBe("http://explicit:1");
      expect(new ImpossibleDBClient().baseUrl).toBe("http://db.example:9999");
      delete process.env["IMPOSSIBLEDB_URL"];
      expect(new ImpossibleDBClient().baseUrl).toBe("http://127.0.0.1:8787");
    } finally {
      if (saved === undefined) delete process.env["IMPOSSIBLEDB_URL"];
      else process.env["IMPOSSIBLEDB_URL"] = saved;
    }
  });
});

/** A one-write batch of collection c. */
function batchOf(db: ImpossibleDBClient) {
  return db.collection("c").batch().set("a", { x: 1 });
}
