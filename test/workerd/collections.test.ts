/**
 * Whole collections: AddDocument's server-chosen ids, ListCollections with
 * counts across shards, and DeleteCollection in bounded steps that never
 * touch another collection.
 */
import { describe, expect, it } from "vitest";
import { Code } from "@connectrpc/connect";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { connectClient, expectCode } from "./helpers.js";

const db = connectClient(CollectionService);
const binary = connectClient(CollectionService, { binary: true });
const tx = connectClient(TransactionService);
const admin = connectClient(AdminService);

async function fill(collection: string, count: number, prefix = "id"): Promise<void> {
  for (let i = 0; i < count; i += 250) {
    const writes = Array.from({ length: Math.min(250, count - i) }, (_, j) => ({
      ref: { collection, id: `${prefix}-${String(i + j).padStart(5, "0")}` },
      operation: { case: "set" as const, value: { n: i + j } },
    }));
    await db.batchWriteDocuments({ writes });
  }
}

async function allCollections(pageSize = 0): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  let pageToken = "";
  for (let pages = 0; pages < 100; pages++) {
    const page = await db.listCollections({ pageSize, pageToken });
    if (pageSize > 0) expect(page.collections.length).toBeLessThanOrEqual(pageSize);
    for (const c of page.collections) {
      expect(out.has(c.name), `${c.name} listed twice`).toBe(false);
      out.set(c.name, c.approximateDocumentCount);
    }
    pageToken = page.nextPageToken;
    if (pageToken === "") return out;
  }
  throw new Error("ListCollections did not end");
}

describe("AddDocument", () => {
  it("creates documents under distinct 20-character ids from A-Z, a-z, 0-9", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const { document } = await db.addDocument({ collection: "added", data: { i } });
      expect(document!.id).toMatch(/^[A-Za-z0-9]{20}$/);
      expect(document!.collection).toBe("added");
      expect(document!.version).toBeGreaterThan(0n);
      ids.add(document!.id);
      const read = await db.getDocument({ ref: { collection: "added", id: document!.id } });
      expect(read.document!.data).toEqual({ i });
    }
    expect(ids.size).toBe(40);
  });

  it("refuses bad input with precise codes", async () => {
    await expectCode(db.addDocument({ collection: "", data: {} }), Code.InvalidArgument);
    await expectCode(db.addDocument({ collection: "no/slash", data: {} }), Code.InvalidArgument);
    await expectCode(db.addDocument({ collection: "added" }), Code.InvalidArgument, /data/);
    await expectCode(binary.addDocument({ collection: "x".repeat(129), data: {} }), Code.InvalidArgument);
    await expectCode(db.addDocument({ collection: "added", data: { big: "x".repeat(1024 * 1024) } }), Code.ResourceExhausted);
  });
});

describe("ListCollections", () => {
  it("lists every non-empty collection once, in name order, with counts over all shards", async () => {
    await fill("lc_alpha", 37);
    await fill("lc_beta", 3);
    await fill("lc_gamma", 1);
    // Rewrites and updates of existing documents do not count twice.
    await fill("lc_beta", 3);
    await db.updateDocument({ ref: { collection: "lc_beta", id: "id-00000" }, patch: { data: { m: 1 } } });
    const all = await allCollections();
    expect(all.get("lc_alpha")).toBe(37n);
    expect(all.get("lc_beta")).toBe(3n);
    expect(all.get("lc_gamma")).toBe(1n);
    const names = [...all.keys()];
    expect(names).toEqual([...names].sort());
    // The counts agree with the shards' own statistics.
    const { shards } = await admin.listShards({});
    const total = shards.reduce((s, x) => s + x.documentCount, 0n);
    expect([...all.values()].reduce((s, n) => s + n, 0n)).toBe(total);
  });

  it("pages with small page sizes give the same collections", async () => {
    for (const name of ["lc_p1", "lc_p2", "lc_p3", "lc_p4", "lc_p5"]) await fill(name, 4, name);
    const whole = await allCollections();
    for (const size of [1, 2, 3]) expect(await allCollections(size)).toEqual(whole);
  });

  it("counts writes of transactions and forgets collections emptied by deletes", async () => {
    await tx.commitBatch({
      writes: [
        { ref: { collection: "lc_tx", id: "a" }, operation: { case: "set", value: { n: 1 } } },
        { ref: { collection: "lc_tx", id: "b" }, operation: { case: "set", value: { n: 2 } } },
      ],
    });
    expect((await allCollections()).get("lc_tx")).toBe(2n);
    await db.deleteDocument({ ref: { collection: "lc_tx", id: "a" } });
    await db.deleteDocument({ ref: { collection: "lc_tx", id: "missing" } });
    expect((await allCollections()).get("lc_tx")).toBe(1n);
    await db.deleteDocument({ ref: { collection: "lc_tx", id: "b" } });
    expect((await allCollections()).has("lc_tx")).toBe(false);
  });

  it("counts an acknowledged two-shard commit at once (parallel commit applies it after answering)", async () => {
    // CommitBatch is answered once every shard prepared; the shards apply it
    // after. A listing in between counted nothing (the test above failed 1
    // run in 4): shards holding its write intents now settle them first.
    for (let round = 0; round < 20; round++) {
      const collection = `lc_pc${round}`;
      await tx.commitBatch({
        writes: ["a", "b", "c", "d"].map((id, n) => ({ ref: { collection, id }, operation: { case: "set" as const, value: { n } } })),
      });
      expect((await allCollections()).get(collection), `round ${round}`).toBe(4n);
    }
  });

  it("refuses bad page sizes and tokens with INVALID_ARGUMENT", async () => {
    await expectCode(db.listCollections({ pageSize: -1 }), Code.InvalidArgument);
    await expectCode(db.listCollections({ pageSize: 1001 }), Code.InvalidArgument);
    await expectCode(db.listCollections({ pageToken: "garbage" }), Code.InvalidArgument, /page_token/);
    // A ListDocuments token is not a ListCollections token.
    await fill("lc_tok", 3);
    const page = await db.listDocuments({ collection: "lc_tok", pageSize: 1 });
    await expectCode(db.listCollections({ pageToken: page.nextPageToken }), Code.InvalidArgument, /page_token/);
  });
});

describe("DeleteCollection", () => {
  it("deletes in bounded steps, reports progress, and ends done", async () => {
    await fill("dc_big", 230);
    const steps: Array<{ deleted: bigint; done: boolean }> = [];
    for (let i = 0; i < 50; i++) {
      const res = await db.deleteCollection({ collection: "dc_big", batchSize: 20 });
      steps.push({ deleted: res.deletedCount, done: res.done });
      if (res.done) break;
    }
    const { shards } = await admin.listShards({});
    // Each call deletes at most 20 per shard.
    for (const s of steps) expect(s.deleted).toBeLessThanOrEqual(BigInt(20 * shards.length));
    expect(steps.length).toBeGreaterThan(1);
    expect(steps.at(-1)!.done).toBe(true);
    expect(steps.reduce((sum, s) => sum + s.deleted, 0n)).toBe(230n);
    expect((await db.listDocuments({ collection: "dc_big" })).documents).toEqual([]);
    expect((await allCollections()).has("dc_big")).toBe(false);
    // Deleting an empty (or never used) collection is done at once.
    expect(await db.deleteCollection({ collection: "dc_big" })).toMatchObject({ deletedCount: 0n, done: true });
    expect(await db.deleteCollection({ collection: "dc_never" })).toMatchObject({ deletedCount: 0n, done: true });
  });

  it("never touches another collection, not even ones whose names share a prefix", async () => {
    // Names that sort right before and after, and a prefix of the victim.
    for (const name of ["dc_victil", "dc_victim_", "dc_victim-2", "dc_victi", "dc_victimz"]) await fill(name, 25, "id");
    await fill("dc_victim", 120, "id");
    const before = new Map<string, Array<[string, bigint]>>();
    for (const name of ["dc_victil", "dc_victim_", "dc_victim-2", "dc_victi", "dc_victimz"]) {
      const page = await db.listDocuments({ collection: name, pageSize: 100 });
      before.set(name, page.documents.map((d) => [d.id, d.version]));
    }
    let done = false;
    for (let i = 0; i < 20 && !done; i++) done = (await db.deleteCollection({ collection: "dc_victim", batchSize: 7 })).done;
    expect(done).toBe(true);
    for (const [name, docs] of before) {
      const page = await db.listDocuments({ collection: name, pageSize: 100 });
      expect(page.documents.map((d) => [d.id, d.version]), name).toEqual(docs);
    }
    expect((await db.listDocuments({ collection: "dc_victim" })).documents).toEqual([]);
  });

  it("refuses bad input with precise codes", async () => {
    await expectCode(db.deleteCollection({ collection: "" }), Code.InvalidArgument);
    await expectCode(db.deleteCollection({ collection: "bad name" }), Code.InvalidArgument);
    await expectCode(db.deleteCollection({ collection: "dc_x", batchSize: 501 }), Code.InvalidArgument);
    await expectCode(db.deleteCollection({ collection: "dc_x", batchSize: -3 }), Code.InvalidArgument);
  });
});
