/**
 * The SDK's whole-collection calls against services served in memory:
 * add, deleteAll's loop and progress, and listCollections' paging.
 */
import { Code, ConnectError, createRouterTransport, type ServiceImpl } from "@connectrpc/connect";
import { describe, expect, it } from "vitest";
import { ImpossibleDBClient } from "../src/node.js";
import { CollectionService } from "../src/gen/impossibledb/v1/collection_service_pb.js";

function client(impl: Partial<ServiceImpl<typeof CollectionService>>) {
  const transport = createRouterTransport((router) => router.service(CollectionService, impl));
  return new ImpossibleDBClient({ transport, retry: { initialBackoffMs: 1, maxBackoffMs: 2 } });
}

describe("whole collections", () => {
  it("add sends the collection and data, and returns the server's id", async () => {
    let calls = 0;
    const db = client({
      addDocument(req) {
        calls++;
        return { document: { collection: req.collection, id: "AbCdEfGhIjKlMnOpQrSt", data: req.data, version: 3n } };
      },
    });
    const doc = await db.collection("notes").add({ text: "hi" });
    expect(doc).toMatchObject({ collection: "notes", id: "AbCdEfGhIjKlMnOpQrSt", data: { text: "hi" }, version: 3n });
    expect(calls).toBe(1);
  });

  it("add is not retried after a transient failure (a retry could add twice)", async () => {
    let calls = 0;
    const db = client({
      addDocument() {
        calls++;
        throw new ConnectError("try later", Code.Unavailable);
      },
    });
    await expect(db.collection("notes").add({})).rejects.toMatchObject({ code: Code.Unavailable });
    expect(calls).toBe(1);
  });

  it("deleteAll calls until done, passes the batch size, and reports progress", async () => {
    const remaining = [7, 7, 3];
    const sizes: number[] = [];
    const db = client({
      deleteCollection(req) {
        sizes.push(req.batchSize);
        const n = remaining.shift() ?? 0;
        return { deletedCount: BigInt(n), done: remaining.length === 0 };
      },
    });
    const progress: number[] = [];
    expect(await db.collection("old").deleteAll({ batchSize: 7, onProgress: (n) => progress.push(n) })).toBe(17);
    expect(progress).toEqual([7, 14, 17]);
    expect(sizes).toEqual([7, 7, 7]);
  });

  it("listCollections follows page tokens and converts counts", async () => {
    const db = client({
      listCollections(req) {
        if (req.pageToken === "") return { collections: [{ name: "a", approximateDocumentCount: 2n }], nextPageToken: "t1" };
        expect(req.pageToken).toBe("t1");
        return { collections: [{ name: "b", approximateDocumentCount: 5n }], nextPageToken: "" };
      },
    });
    expect(await db.listCollections()).toEqual([
      { name: "a", approximateDocumentCount: 2 },
      { name: "b", approximateDocumentCount: 5 },
    ]);
  });
});
