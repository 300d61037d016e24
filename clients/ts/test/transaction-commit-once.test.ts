/**
 * A transaction commits once: a second commit() while one is in flight, or
 * after a commit whose answer was lost, must not send a second Commit that
 * the server would apply as a new transaction (a write-only transaction
 * begins with its commit, so each Commit it sends is a new transaction).
 */
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { ImpossibleDBClient, type ImpossibleDBClientOptions } from "../src/node.js";
import { TransactionService, type CommitRequest } from "../src/gen/impossibledb/v1/transaction_service_pb.js";

/**
 * A server that counts increments applied by Commit. A Commit naming a
 * transaction it already committed answers the first outcome again (as
 * ImpossibleDB does); `loseNextAnswer` applies the next Commit and then
 * answers UNAVAILABLE, as a connection cut after the commit would.
 */
function server(clientOptions: Omit<ImpossibleDBClientOptions, "transport"> = {}) {
  let counter = 0;
  let nextTx = 0;
  const commits: CommitRequest[] = [];
  const committed = new Map<string, number>();
  const rollbacks: string[] = [];
  const state = { loseNextAnswer: false, abortNext: false, delayMs: 0 };
  const transport = createRouterTransport((router) => {
    router.service(TransactionService, {
      getDocuments: (req) => ({
        transaction: req.newTransaction === undefined ? "" : `tx${++nextTx}`,
        reads: req.refs.map((ref) => ({ ref, version: BigInt(counter), document: { collection: ref.collection, id: ref.id, data: { n: counter }, version: BigInt(counter) } })),
      }),
      async commit(req) {
        commits.push(req);
        if (state.delayMs > 0) await new Promise((r) => setTimeout(r, state.delayMs));
        const repeat = req.transaction === "" ? undefined : committed.get(req.transaction);
        if (repeat === undefined) {
          if (state.abortNext) {
            state.abortNext = false;
            throw new ConnectError("another transaction wrote first", Code.Aborted);
          }
          counter += req.writes.length;
          if (req.transaction !== "") committed.set(req.transaction, counter);
        }
        if (state.loseNextAnswer) {
          state.loseNextAnswer = false;
          throw new ConnectError("the connection broke before the answer arrived", Code.Unavailable);
        }
        return { results: req.writes.map((w) => ({ ref: w.ref, version: BigInt(repeat ?? counter) })) };
      },
      rollback: (req) => {
        rollbacks.push(req.transaction);
        return {};
      },
    });
  });
  const db = new ImpossibleDBClient({ transport, retry: { initialBackoffMs: 1, maxBackoffMs: 2 }, ...clientOptions });
  return { db, commits, rollbacks, state, applied: () => counter };
}

const codeOf = (e: unknown) => ConnectError.from(e).code;

describe("a transaction commits once", () => {
  it("two commit() calls at once on a write-only transaction send one Commit; the second is refused", async () => {
    const s = server();
    s.state.delayMs = 20;
    const tx = s.db.createTransaction().write("c", "a", { n: 1 });
    const [first, second] = await Promise.allSettled([tx.commit(), tx.commit()]);
    expect(first.status).toBe("fulfilled");
    expect(second.status).toBe("rejected");
    expect(codeOf((second as PromiseRejectedResult).reason)).toBe(Code.FailedPrecondition);
    expect(s.commits).toHaveLength(1);
    expect(s.applied()).toBe(1);
  });

  it("a write-only transaction whose commit answer was lost refuses a second commit() instead of applying its writes again", async () => {
    const s = server();
    s.state.loseNextAnswer = true;
    const tx = s.db.createTransaction().write("c", "a", { n: 1 });
    expect(codeOf(await tx.commit().catch((e: unknown) => e))).toBe(Code.Unavailable);
    const again = await tx.commit().catch((e: unknown) => ConnectError.from(e));
    expect((again as ConnectError).code).toBe(Code.FailedPrecondition);
    expect((again as ConnectError).rawMessage).toMatch(/outcome is unknown/);
    expect(s.commits).toHaveLength(1);
    expect(s.applied()).toBe(1);
  });

  it("a transaction with an id whose commit answer was lost learns the outcome by committing again, applied once", async () => {
    const s = server();
    const tx = s.db.createTransaction();
    await tx.get("c", "a");
    tx.write("c", "a", { n: 1 });
    s.state.loseNextAnswer = true;
    expect(codeOf(await tx.commit().catch((e: unknown) => e))).toBe(Code.Unavailable);
    const outcome = await tx.commit();
    expect(outcome.results.map((r) => r.version)).toEqual([1n]);
    expect(s.commits.map((c) => c.transaction)).toEqual([tx.transactionId, tx.transactionId]);
    expect(s.applied()).toBe(1);
    // And after that success, no third Commit.
    expect(codeOf(await tx.commit().catch((e: unknown) => e))).toBe(Code.FailedPrecondition);
    expect(s.commits).toHaveLength(2);
  });

  it("a commit() after a successful one is refused and sends nothing", async () => {
    const s = server();
    const tx = s.db.createTransaction().write("c", "a", { n: 1 });
    await tx.commit();
    expect(codeOf(await tx.commit().catch((e: unknown) => e))).toBe(Code.FailedPrecondition);
    expect(s.commits).toHaveLength(1);
    expect(s.applied()).toBe(1);
  });

  it("writes and reads are refused while the commit is in flight", async () => {
    const s = server();
    s.state.delayMs = 20;
    const tx = s.db.createTransaction().write("c", "a", { n: 1 });
    const pending = tx.commit();
    expect(() => tx.write("c", "b", { n: 2 })).toThrow(/committing/);
    expect(codeOf(await tx.get("c", "a").catch((e: unknown) => e))).toBe(Code.FailedPrecondition);
    await pending;
    expect(s.commits[0]!.writes).toHaveLength(1);
  });

  it("after an ABORTED commit, commit() is refused but rollback() still releases the transaction's locks", async () => {
    const s = server();
    const tx = s.db.createTransaction();
    await tx.get("c", "a");
    tx.write("c", "a", { n: 1 });
    s.state.abortNext = true;
    expect(codeOf(await tx.commit().catch((e: unknown) => e))).toBe(Code.Aborted);
    expect(codeOf(await tx.commit().catch((e: unknown) => e))).toBe(Code.FailedPrecondition);
    await tx.rollback();
    expect(s.rollbacks).toEqual([tx.transactionId]);
    expect(s.commits).toHaveLength(1);
  });

  it("runTransaction whose function commits the transaction itself returns its value and sends one Commit", async () => {
    const s = server();
    const value = await s.db.runTransaction(async (tx) => {
      await tx.get("c", "a");
      tx.write("c", "a", { n: 1 });
      await tx.commit();
      return "done";
    });
    expect(value).toBe("done");
    expect(s.commits).toHaveLength(1);
    expect(s.applied()).toBe(1);
  });

  it("runTransaction still retries an ABORTED commit in a fresh transaction and applies it once", async () => {
    const s = server();
    s.state.abortNext = true;
    let runs = 0;
    await s.db.runTransaction(async (tx) => {
      runs++;
      await tx.get("c", "a");
      tx.write("c", "a", { n: 1 });
    });
    expect(runs).toBe(2);
    expect(s.applied()).toBe(1);
    expect(s.rollbacks).toHaveLength(1);
  });
});

describe("runTransaction and a function that ends the transaction itself", () => {
  it("retries when the function's own commit aborted, even though the function caught it", async () => {
    const s = server();
    s.state.abortNext = true;
    let runs = 0;
    const value = await s.db.runTransaction(async (tx) => {
      runs++;
      await tx.get("c", "a");
      tx.write("c", "a", { n: 1 });
      await tx.commit().catch(() => undefined);
      return runs;
    });
    expect(value).toBe(2);
    expect(s.applied()).toBe(1);
    expect(s.commits).toHaveLength(2);
  });

  it("surfaces the code of the function's own failed commit, not FAILED_PRECONDITION, and does not retry it", async () => {
    const s = server();
    s.state.loseNextAnswer = true;
    let runs = 0;
    const err = await s.db
      .runTransaction(async (tx) => {
        runs++;
        tx.write("c", "a", { n: 1 });
        await tx.commit().catch(() => undefined);
      })
      .catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Unavailable);
    expect(runs).toBe(1);
    expect(s.commits).toHaveLength(1);
  });

  it("waits for a commit the function started but did not await, and sends no second Commit", async () => {
    const s = server();
    s.state.delayMs = 20;
    const value = await s.db.runTransaction((tx) => {
      tx.write("c", "a", { n: 1 });
      void tx.commit();
      return "sent";
    });
    expect(value).toBe("sent");
    expect(s.commits).toHaveLength(1);
  });

  it("resolves with the function's value without committing when the function rolled the transaction back", async () => {
    const s = server();
    const value = await s.db.runTransaction(async (tx) => {
      const doc = await tx.get("c", "a");
      tx.write("c", "a", { n: 1 });
      await tx.rollback();
      return doc === null ? "missing" : "kept";
    });
    expect(value).toBe("kept");
    expect(s.commits).toHaveLength(0);
    expect(s.rollbacks).toHaveLength(1);
  });
});

describe("a commit's deadline", () => {
  it("commit({ timeoutMs }) outlasts a client's short deadline, and a commit cut by the deadline says its outcome is unknown", async () => {
    const s = server({ timeoutMs: 30 });
    s.state.delayMs = 80;
    const tx = s.db.createTransaction();
    await tx.get("c", "a");
    tx.write("c", "a", { n: 1 });
    const cut = ConnectError.from(await tx.commit().catch((e: unknown) => e));
    expect(cut.code).toBe(Code.DeadlineExceeded);
    expect(cut.rawMessage).toMatch(/outcome is unknown, it may have been applied; commit\(\) again/);
    // Committing again with a deadline long enough learns the first commit's outcome.
    const outcome = await tx.commit({ timeoutMs: 2_000 });
    expect(outcome.results.map((r) => r.version)).toEqual([1n]);
    expect(s.applied()).toBe(1);
  });

  it("a commit whose deadline passed before it was sent says nothing was applied, and commit() again sends it", async () => {
    // The client's clock jumps 10 s at every reading while `jump` is set: the deadline passes before the first attempt.
    let jump = false;
    let nowMs = 1_000_000;
    const clock = vi.spyOn(Date, "now").mockImplementation(() => (jump ? (nowMs += 10_000) : nowMs));
    try {
      const s = server();
      const read = s.db.createTransaction();
      await read.get("c", "a");
      read.write("c", "a", { n: 1 });
      const writeOnly = s.db.createTransaction().write("c", "b", { n: 1 });
      for (const tx of [read, writeOnly]) {
        jump = true;
        const cut = ConnectError.from(await tx.commit().catch((e: unknown) => e));
        jump = false;
        expect(cut.code).toBe(Code.DeadlineExceeded);
        expect(cut.rawMessage).toMatch(/the commit was not sent, so nothing was applied; commit\(\) again/);
        expect(s.commits).toHaveLength(tx === read ? 0 : 1);
        await tx.commit();
      }
      expect(s.commits).toHaveLength(2);
      expect(s.applied()).toBe(2);
      // A batch likewise: not sent, so it may be committed again.
      const batch = s.db.collection("c").batch().set("d", { n: 1 });
      jump = true;
      const cut = ConnectError.from(await batch.commit().catch((e: unknown) => e));
      jump = false;
      expect(cut.rawMessage).toMatch(/the batch was not sent, so nothing was applied/);
      // Sent this time (this test server has no CollectionService), not refused as sent already.
      expect(codeOf(await batch.commit().catch((e: unknown) => e))).toBe(Code.Unimplemented);
    } finally {
      clock.mockRestore();
    }
  });

  it("a write-only transaction cut by the deadline says its outcome is unknown and to read the documents", async () => {
    const s = server({ timeoutMs: 30 });
    s.state.delayMs = 80;
    const tx = s.db.createTransaction().write("c", "a", { n: 1 });
    const cut = ConnectError.from(await tx.commit().catch((e: unknown) => e));
    expect(cut.code).toBe(Code.DeadlineExceeded);
    expect(cut.rawMessage).toMatch(/outcome is unknown.*read the documents/);
    expect(await tx.commit({ timeoutMs: 0 }).catch((e: unknown) => e)).toBeInstanceOf(RangeError);
  });

  it("a batch's commitAtomic takes a deadline of its own too, and a cut one says its outcome is unknown", async () => {
    let delayMs = 80;
    const transport = createRouterTransport((router) => {
      router.service(TransactionService, {
        async commitBatch(req) {
          await new Promise((r) => setTimeout(r, delayMs));
          return { results: req.writes.map((w) => ({ ref: w.ref, version: 1n })) };
        },
      });
    });
    const db = new ImpossibleDBClient({ transport, timeoutMs: 30 });
    const cut = ConnectError.from(await db.collection("c").batch().set("a", {}).commitAtomic().catch((e: unknown) => e));
    expect(cut.code).toBe(Code.DeadlineExceeded);
    expect(cut.rawMessage).toMatch(/outcome is unknown, it may have been applied; read the documents/);
    delayMs = 60;
    expect(await db.collection("c").batch().set("a", {}).commitAtomic({ timeoutMs: 2_000 })).toHaveLength(1);
  });
});

describe("a transaction's writes", () => {
  it("refuse a second write of one document when it is made, in the server's words, and send nothing for it", async () => {
    const s = server();
    const tx = s.db.createTransaction().write("c", "a", { n: 1 });
    const refused = (() => {
      try {
        tx.delete("c", "a");
      } catch (e) {
        return ConnectError.from(e);
      }
    })();
    expect(refused).toMatchObject({ code: Code.InvalidArgument, rawMessage: "writes[1] writes c/a again; a transaction may write each document once" });
    tx.write("d", "a", { n: 1 });
    await tx.commit();
    expect(s.commits[0]!.writes).toHaveLength(2);
  });
});
