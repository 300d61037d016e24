/**
 * A plain batch (BatchWriteDocuments) of large documents on one shard, up
 * to BATCH_BYTES_MAX (10 MiB): its writes share statements whose JSON
 * parameter is one SQLite string, and SQLite refuses a string over its
 * length limit (SQLITE_TOOBIG: 2 MB on Cloudflare, a few MB locally). Nine
 * documents of 1 MB answered INTERNAL; now the batch goes in runs within
 * BATCH_PARAM_UNITS_MAX and every write is applied, in order, with its
 * change-log row and version.
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import type { WriteSchema } from "../../gen/impossibledb/v1/document_pb.js";
import { connectClient, initialRouter } from "./helpers.js";

const db = connectClient(CollectionService);

/** `count` ids of `collection` that all fall on one shard, and that shard. */
function idsOnOneShard(collection: string, count: number): { shard: string; ids: string[] } {
  const router = initialRouter();
  const shard = router.shardFor(collection, "d0");
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) if (router.shardFor(collection, `d${i}`) === shard) ids.push(`d${i}`);
  return { shard, ids };
}

describe("a plain batch of large documents on one shard", () => {
  it("nine documents of 1 MB, then a mix of large and small replacing them, are all applied with their change-log rows", { timeout: 60_000 }, async () => {
    const c = "big-batch";
    const { shard, ids } = idsOnOneShard(c, 12);
    const big = (tag: string) => `${tag}:` + "x".repeat(1_000_000);
    const first = await db.batchWriteDocuments({ writes: ids.slice(0, 9).map((id) => ({ ref: { collection: c, id }, operation: { case: "set" as const, value: { t: big(id) } } })) });
    expect(first.statuses.map((s) => s.code)).toEqual(Array(9).fill(0));
    // Small and large interleaved, replacing and creating, with a delete: runs and single writes in plan order.
    const writes = ids.map((id, i): MessageInitShape<typeof WriteSchema> =>
      i === 4
        ? { ref: { collection: c, id }, operation: { case: "delete" as const, value: {} } }
        : { ref: { collection: c, id }, operation: { case: "set" as const, value: i % 3 === 0 ? { t: big(`${id}-2`) } : { small: i } } },
    );
    const second = await db.batchWriteDocuments({ writes });
    expect(second.statuses.map((s) => s.code)).toEqual(Array(12).fill(0));
    const versions = second.results.filter((_, i) => i !== 4).map((r) => Number(r.version));
    expect(versions).toEqual([...versions].sort((a, b) => a - b));

    const read = await Promise.all(ids.map((id) => db.getDocument({ ref: { collection: c, id } }).then((r) => r.document?.data ?? null, () => null)));
    expect(read).toEqual(ids.map((id, i) => (i === 4 ? null : i % 3 === 0 ? { t: big(`${id}-2`) } : { small: i })));
    // The change log holds one row per write, in the batch's order.
    const stub = env.SHARD.get(env.SHARD.idFromName(shard));
    const logged = await runInDurableObject(stub, (_o, state) =>
      state.storage.sql.exec<{ id: string; op: string }>("SELECT id, op FROM change_log WHERE collection = ? ORDER BY seq", c).toArray(),
    );
    expect(logged.slice(9).map((r) => `${r.op} ${r.id}`)).toEqual(ids.map((id, i) => `${i === 4 ? "delete" : "put"} ${id}`));
  });
});
