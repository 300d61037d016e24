/**
 * A change-log row keeps a write's after and before images, and a Durable
 * Object's SQLite row holds at most 2 MB on Cloudflare (local workerd takes
 * more, so nothing failed here): replacing a document of 1 MB with another
 * made a row of about 2 MB, which Cloudflare refuses (SQLITE_TOOBIG), so the
 * write would have failed there. Past CHANGE_ROW_INLINE_BYTES_MAX the
 * before image is kept in change_log_before, and everything that reads the
 * log (listeners, resharding's checksums) reads it back as before; a trim
 * drops it with its row. Every write path: a plain put, a batch, a
 * transaction.
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { CHANGE_ROW_INLINE_BYTES_MAX } from "../../src/limits.js";
import { readChanges, trimChangeLog } from "../../src/watch/change-log.js";
import { connectClient, initialRouter } from "./helpers.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const big = (tag: string) => ({ t: `${tag}:` + "é".repeat(500_000) }); // 1 MB of UTF-8 in 500,000 units

function shardOf(collection: string, id: string) {
  return env.SHARD.get(env.SHARD.idFromName(initialRouter().shardFor(collection, id)));
}

/** The largest change row of `collection` on `id`'s shard, in bytes of its two images as stored in the row. */
async function widestRow(collection: string, id: string): Promise<number> {
  return runInDurableObject(shardOf(collection, id), (_o, state) =>
    state.storage.sql
      .exec<{ n: number | null }>("SELECT MAX(COALESCE(length(CAST(data AS BLOB)), 0) + COALESCE(length(CAST(before_data AS BLOB)), 0)) AS n FROM change_log WHERE collection = ?", collection)
      .one().n ?? 0,
  );
}

/** The before images the log reads back for `id`, oldest first (null: created). */
async function beforeImages(collection: string, id: string): Promise<(string | null)[]> {
  return runInDurableObject(shardOf(collection, id), (_o, state) =>
    readChanges(state.storage.sql, collection, id, 0, Number.MAX_SAFE_INTEGER, 100).rows.map((r) => r.before_data),
  );
}

describe("change-log rows of large documents", () => {
  it("stay within the row size on every write path, and read back their before images", { timeout: 60_000 }, async () => {
    const c = "wide-rows";
    const id = "doc";
    await db.setDocument({ ref: { collection: c, id }, data: big("v1") });
    await db.setDocument({ ref: { collection: c, id }, data: big("v2") });
    await db.batchWriteDocuments({ writes: [{ ref: { collection: c, id }, operation: { case: "set", value: big("v3") } }, { ref: { collection: c, id: "small" }, operation: { case: "set", value: { n: 1 } } }] });
    const begun = await tx.getDocuments({ newTransaction: {}, refs: [{ collection: c, id }] });
    await tx.commit({ transaction: begun.transaction, reads: [{ ref: { collection: c, id }, version: begun.reads[0]!.version }], writes: [{ ref: { collection: c, id }, operation: { case: "set", value: big("v4") } }] });
    await db.deleteDocument({ ref: { collection: c, id } });

    expect(await widestRow(c, id)).toBeLessThanOrEqual(CHANGE_ROW_INLINE_BYTES_MAX);
    const befores = await beforeImages(c, id);
    expect(befores.map((b) => (b === null ? null : (JSON.parse(b) as { t: string }).t.slice(0, 3)))).toEqual([null, "v1:", "v2:", "v3:", "v4:"]);

    // A trim takes the held images with their rows.
    const left = await runInDurableObject(shardOf(c, id), (_o, state) => {
      state.storage.transactionSync(() => trimChangeLog(state.storage.sql, Date.now() + 49 * 3600_000, { retentionMs: 48 * 3600_000, bytesMax: 1 << 30 }));
      return state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM change_log_before").one().n;
    });
    expect(left).toBe(0);
  });
});
