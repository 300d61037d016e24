/**
 * The SDK over answers the server keeps within its response limit:
 * getMany and transaction reads ask again for the refs a call left unread,
 * and batch writes return documents only when asked.
 */
import { createRouterTransport } from "@connectrpc/connect";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";
import { CollectionService, type BatchGetDocumentsRequest, type BatchWriteDocumentsRequest } from "../src/gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService, type CommitRequest } from "../src/gen/impossibledb/v1/transaction_service_pb.js";

const when = new Date("2026-11-30T00:00:00.000Z");

/** Services that answer at most two refs per call, as a server with a full answer does. */
function twoPerCall() {
  const batchGets: BatchGetDocumentsRequest[] = [];
  const commits: CommitRequest[] = [];
  const stored = new Set(["a", "b", "d", "e"]);
  const transport = createRouterTransport((router) => {
    router.service(CollectionService, {
      batchGetDocuments(req) {
        batchGets.push(req);
        const answered = req.refs.slice(0, 2);
        return {
          results: answered.map((ref) => ({ ref, found: stored.has(ref.id), document: stored.has(ref.id) ? { collection: ref.collection, id: ref.id, data: { id: ref.id }, version: 1n } : undefined })),
          unreadRefs: req.refs.slice(2),
        };
      },
    });
    router.service(TransactionService, {
      getDocuments(req) {
        const answered = req.refs.slice(0, 2);
        return {
          transaction: req.newTransaction === undefined ? "" : "tx",
          reads: answered.map((ref, i) => ({ ref, version: BigInt(10 + i), document: { collection: ref.collection, id: ref.id, data: { id: ref.id }, version: BigInt(10 + i) } })),
          unreadRefs: req.refs.slice(2),
        };
      },
      commit(req) {
        commits.push(req);
        return { results: [] };
      },
    });
  });
  return { db: new ImpossibleDBClient({ transport, retry: false }), batchGets, commits };
}

describe("answers that stop at the server's response limit", () => {
  it("getMany asks again for the unread ids and returns every answer in order", async () => {
    const s = twoPerCall();
    const docs = await s.db.collection("c").getMany(["a", "b", "c", "d", "e"]);
    expect(docs.map((d) => d?.id ?? null)).toEqual(["a", "b", null, "d", "e"]);
    expect(s.batchGets.map((r) => r.refs.map((x) => x.id))).toEqual([
      ["a", "b", "c", "d", "e"],
      ["c", "d", "e"],
      ["e"],
    ]);
  });

  it("a transaction's queued reads all come back, and every version read goes to Commit", async () => {
    const s = twoPerCall();
    const tx = s.db.createTransaction();
    tx.read("c", "a").read("c", "b").read("c", "c");
    const out = await tx.commit();
    expect(out.reads.map((d) => d?.id)).toEqual(["a", "b", "c"]);
    expect(s.commits[0]?.reads.map((r) => [r.ref?.id, r.version])).toEqual([
      ["a", 10n],
      ["b", 11n],
      ["c", 10n],
    ]);
  });
});

describe("batch write results", () => {
  function recording() {
    const requests: BatchWriteDocumentsRequest[] = [];
    const transport = createRouterTransport((router) => {
      router.service(CollectionService, {
        batchWriteDocuments(req) {
          requests.push(req);
          return {
            statuses: req.writes.map(() => ({ code: 0 })),
            results: req.writes.map((w) => ({
              ref: w.ref,
              version: 4n,
              updateTime: timestampFromDate(when),
              document: req.returnDocuments ? { collection: w.ref?.collection, id: w.ref?.id, data: { x: 1 }, version: 4n } : undefined,
            })),
          };
        },
      });
    });
    return { db: new ImpossibleDBClient({ transport, retry: false }), requests };
  }

  it("carry versions and times, and documents only with returnDocuments", async () => {
    const r = recording();
    const plain = await r.db.collection("c").batch().set("a", { x: 1 }).commit();
    expect(r.requests[0]?.returnDocuments).toBe(false);
    expect(plain[0]?.result).toEqual({ collection: "c", id: "a", version: 4n, updateTime: when, document: undefined, transformResults: [] });
    const asked = await r.db.collection("c").batch().set("a", { x: 1 }).commit({ returnDocuments: true });
    expect(r.requests[1]?.returnDocuments).toBe(true);
    expect(asked[0]?.result?.document?.data).toEqual({ x: 1 });
  });
});
