/**
 * The read set a transaction sends with Commit: every version of every
 * document it read, whichever way it read it (get() now, read() queued for
 * commit), so a document that changed between two reads aborts the commit
 * instead of losing the change in between.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import { Code, ConnectError, createRouterTransport } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";
import { TransactionService, type CommitRequest } from "../src/gen/impossibledb/v1/transaction_service_pb.js";

/**
 * A one-shard store that behaves like the server where it matters here:
 * reads answer the current version, and Commit aborts when a document was
 * read at two versions or a version read is no longer current.
 */
function store(initial: Record<string, { data: JsonObject; version: bigint }>) {
  const docs = new Map(Object.entries(initial));
  const commits: CommitRequest[] = [];
  const transport = createRouterTransport((router) => {
    router.service(TransactionService, {
      getDocuments: (req) => ({
        transaction: req.newTransaction === undefined ? "" : "tx",
        reads: req.refs.map((ref) => {
          const doc = docs.get(ref.id);
          return { ref, version: doc?.version ?? 0n, document: doc === undefined ? undefined : { collection: ref.collection, id: ref.id, data: doc.data, version: doc.version } };
        }),
      }),
      commit(req) {
        commits.push(req);
        const seen = new Map<string, bigint>();
        for (const r of req.reads) {
          const before = seen.get(r.ref!.id);
          if (before !== undefined && before !== r.version) throw new ConnectError(`${r.ref!.id} was read at two versions`, Code.Aborted);
          seen.set(r.ref!.id, r.version);
          if ((docs.get(r.ref!.id)?.version ?? 0n) !== r.version) throw new ConnectError(`${r.ref!.id} changed`, Code.Aborted);
        }
        for (const w of req.writes) {
          if (w.operation.case === "update") {
            const doc = docs.get(w.ref!.id)!;
            docs.set(w.ref!.id, { data: { ...doc.data, ...w.operation.value.data }, version: doc.version + 1n });
          }
        }
        return { results: req.writes.map((w) => ({ ref: w.ref, version: docs.get(w.ref!.id)?.version ?? 0n })) };
      },
      rollback: () => ({}),
    });
  });
  /** Another client's write, between the transaction's reads. */
  const writeOutside = (id: string, data: JsonObject) => {
    docs.set(id, { data, version: (docs.get(id)?.version ?? 0n) + 1n });
  };
  const db = new ImpossibleDBClient({ transport, retry: { initialBackoffMs: 1, maxBackoffMs: 2 } });
  return { db, docs, commits, writeOutside };
}

const readSet = (req: CommitRequest | undefined) => req?.reads.map((r) => `${r.ref?.collection}/${r.ref?.id}@${r.version}`);

describe("a transaction's read set", () => {
  it("sends both versions of a document read twice around another client's write, so the commit aborts and the write survives", async () => {
    const s = store({ a: { data: { balance: 100 }, version: 1n } });
    const tx = s.db.createTransaction();
    const first = await tx.get<{ balance: number }>("accounts", "a");
    s.writeOutside("a", { balance: 50 });
    const second = await tx.get<{ balance: number }>("accounts", "a");
    expect([first?.data.balance, second?.data.balance]).toEqual([100, 50]);
    tx.update("accounts", "a", { balance: first!.data.balance - 10 });
    const err = await tx.commit().catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Aborted);
    expect(readSet(s.commits[0])).toEqual(["accounts/a@1", "accounts/a@2"]);
    // The other client's write was not overwritten.
    expect(s.docs.get("a")).toEqual({ data: { balance: 50 }, version: 2n });
  });

  it("sends a version read by get() and a different one read by a queued read()", async () => {
    const s = store({ a: { data: { n: 1 }, version: 1n } });
    const tx = s.db.createTransaction();
    await tx.get("c", "a");
    s.writeOutside("a", { n: 2 });
    tx.read("c", "a").update("c", "a", { n: 10 });
    const err = await tx.commit().catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Aborted);
    expect(readSet(s.commits[0])).toEqual(["c/a@1", "c/a@2"]);
    expect(s.docs.get("a")?.data).toEqual({ n: 2 });
  });

  it("sends a document seen missing (version 0) and then created by someone else at both versions", async () => {
    const s = store({});
    const tx = s.db.createTransaction();
    expect(await tx.get("c", "new")).toBeNull();
    s.writeOutside("new", { by: "other" });
    expect((await tx.get("c", "new"))?.data).toEqual({ by: "other" });
    const err = await tx.commit().catch((e: unknown) => ConnectError.from(e));
    expect((err as ConnectError).code).toBe(Code.Aborted);
    expect(readSet(s.commits[0])).toEqual(["c/new@0", "c/new@1"]);
  });

  it("sends a version read several times once, and commits when nothing changed", async () => {
    const s = store({ a: { data: { n: 1 }, version: 3n }, b: { data: { n: 2 }, version: 7n } });
    const tx = s.db.createTransaction();
    await tx.get("c", "a");
    await tx.get("c", "b");
    await tx.get("c", "a");
    tx.read("c", "a").read("c", "b").update("c", "a", { n: 5 });
    await tx.commit();
    expect(readSet(s.commits[0])).toEqual(["c/a@3", "c/b@7"]);
    expect(s.docs.get("a")).toEqual({ data: { n: 5 }, version: 4n });
  });

  it("runTransaction redoes a transaction whose two reads disagreed, and then applies it on the fresh value", async () => {
    const s = store({ a: { data: { balance: 100 }, version: 1n } });
    let runs = 0;
    await s.db.runTransaction(async (tx) => {
      runs += 1;
      const first = await tx.get<{ balance: number }>("accounts", "a");
      if (runs === 1) s.writeOutside("a", { balance: 50 });
      await tx.get("accounts", "a");
      tx.update("accounts", "a", { balance: first!.data.balance - 10 });
    });
    expect(runs).toBe(2);
    expect(s.docs.get("a")?.data).toEqual({ balance: 40 });
  });
});
