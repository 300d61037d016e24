/**
 * Transactions up to TX_BYTES_MAX (10 MiB) commit, on one shard and on
 * several, through CommitBatch and an interactive Commit. Their records (the
 * coordinator's plan and votes, a shard's recorded answer) hold every
 * document written, more than one SQLite row holds (SQLITE_TOOBIG past about
 * 8 MB here, 2 MB on Cloudflare): they are stored in pieces
 * (src/storage/text-pieces.ts). A new user's finding: 8 documents of 1 MiB
 * answered INTERNAL on one shard and a retryable ABORTED that never
 * succeeded on several.
 */
import { describe, expect, it, vi } from "vitest";
import { env } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { connectClient } from "./helpers.js";

const db = connectClient(CollectionService, { binary: true });
const tx = connectClient(TransactionService, { binary: true });
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));

/** About 1 MB of text (the document limit is 1 MiB of JSON); `tag` makes each one different. */
const big = (tag: string) => ({ tag, s: `${tag}:`.padEnd(1_000_000, "x") });

/** `count` ids of `collection` on ONE shard. */
function idsOnOneShard(collection: string, count: number): string[] {
  const shard = router.shardFor(collection, "a0");
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) if (router.shardFor(collection, `a${i}`) === shard) ids.push(`a${i}`);
  return ids;
}

async function expectStored(collection: string, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    const { document } = await db.getDocument({ ref: { collection, id } });
    expect(document?.data?.["tag"], id).toBe(`${collection}/${id}`);
    expect((document?.data?.["s"] as string).length).toBe(1_000_000);
  }
}

describe("transactions larger than a SQLite row", () => {
  it("a 10 MB transaction of non-Latin-1 text commits over several shards, and its repeat answers the same (no RPC passes 32 MiB)", { timeout: 90_000 }, async () => {
    // Text with one character outside Latin-1 is held as UTF-16 (two bytes a
    // character): the plan beside votes repeating its documents made a 34 MB
    // report to the coordinator, over workerd's 32 MiB per RPC (the repeat
    // answered INTERNAL; a new user's finding).
    // One emoji makes the whole string UTF-16 in V8: about 1 MB of UTF-8
    // each, 2 MB as the RPC carries it.
    const text = (i: number) => `😀${i}`.padEnd(1_040_000, "a");
    const collection = "big_utf16";
    const ids = Array.from({ length: 10 }, (_, i) => `u${i}`);
    expect(new Set(ids.map((id) => router.shardFor(collection, id))).size).toBeGreaterThan(1);
    const begun = await tx.getDocuments({ refs: [{ collection, id: ids[0]! }], newTransaction: {} });
    const commit = {
      transaction: begun.transaction,
      writes: ids.map((id, i) => ({ ref: { collection, id }, operation: { case: "set" as const, value: { t: text(i) } } })),
    };
    const warn = vi.spyOn(console, "warn");
    const first = await tx.commit(commit);
    const again = await tx.commit(commit);
    // The votes reached the coordinator (none of its reports failed and left it to recovery).
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes("reporting the votes"))).toEqual([]);
    warn.mockRestore();
    expect(again.commitTime).toEqual(first.commitTime);
    expect(again.results.map((r) => r.version)).toEqual(first.results.map((r) => r.version));
    for (const [i, id] of ids.entries()) expect((await db.getDocument({ ref: { collection, id } })).document?.data?.["t"], id).toBe(text(i));
  });

  it("CommitBatch of 9 MB on one shard and on several commits, and every document reads back", { timeout: 60_000 }, async () => {
    const oneShard = idsOnOneShard("big_one", 9);
    const spread = Array.from({ length: 9 }, (_, i) => `s${i}`);
    expect(new Set(spread.map((id) => router.shardFor("big_spread", id))).size).toBeGreaterThan(1);
    for (const [collection, ids] of [["big_one", oneShard], ["big_spread", spread]] as const) {
      await tx.commitBatch({ writes: ids.map((id) => ({ ref: { collection, id }, operation: { case: "set" as const, value: big(`${collection}/${id}`) } })) });
      await expectStored(collection, ids);
    }
  });

  it("a record cut into pieces keeps characters outside the BMP whole (a piece never ends inside a surrogate pair)", { timeout: 60_000 }, async () => {
    // 1 MB of UTF-8 each, 520,000 UTF-16 units: the plan is cut at many
    // places, some of them (the ids' lengths differ) between a pair's halves.
    const ids = ["e", "ee", "eee", "eeee", "eeeee", "eeeeee", "eeeeeee"];
    const text = (id: string) => `${id}|${"😀".repeat(259_000)}é`;
    for (const collection of ["big_emoji", "big_emoji_one"]) {
      const targets = collection === "big_emoji" ? ids : idsOnOneShard(collection, 7);
      const begun = await tx.getDocuments({ refs: [{ collection, id: targets[0]! }], newTransaction: {} });
      const commit = {
        transaction: begun.transaction,
        writes: targets.map((id) => ({ ref: { collection, id }, operation: { case: "set" as const, value: { t: text(id) } } })),
        returnDocuments: true,
      };
      const first = await tx.commit(commit);
      // The repeat is answered from the stored records, read back from their
      // pieces: the same documents (those that fit RESPONSE_BYTES_MAX).
      const again = await tx.commit(commit);
      const returned = again.results.flatMap((r, i) => (r.document === undefined ? [] : [{ id: targets[i]!, t: r.document.data?.["t"] }]));
      expect(returned.length).toBeGreaterThan(0);
      for (const { id, t } of returned) expect(t, id).toBe(text(id));
      expect(again.results.map((r) => r.document?.data?.["t"])).toEqual(first.results.map((r) => r.document?.data?.["t"]));
      for (const id of targets) expect((await db.getDocument({ ref: { collection, id } })).document?.data?.["t"], id).toBe(text(id));
    }
  });

  it("an interactive transaction of 9 MB commits, on one shard and on several, and its repeat answers the same", { timeout: 60_000 }, async () => {
    for (const [collection, ids] of [["big_tx_one", idsOnOneShard("big_tx_one", 9)], ["big_tx_spread", Array.from({ length: 9 }, (_, i) => `s${i}`)]] as const) {
      const begun = await tx.getDocuments({ refs: [{ collection, id: ids[0]! }], newTransaction: {} });
      const commit = {
        transaction: begun.transaction,
        writes: ids.map((id) => ({ ref: { collection, id }, operation: { case: "set" as const, value: big(`${collection}/${id}`) } })),
        reads: [{ ref: { collection, id: ids[0]! }, version: begun.reads[0]!.version }],
      };
      const first = await tx.commit(commit);
      expect(first.results).toHaveLength(9);
      // Sent again (its answer lost, say): the same commit answers the same, from the stored records.
      const again = await tx.commit(commit);
      expect(again.commitTime).toEqual(first.commitTime);
      expect(again.results.map((r) => r.version)).toEqual(first.results.map((r) => r.version));
      await expectStored(collection, ids);
    }
  });
});
