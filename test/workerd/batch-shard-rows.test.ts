/**
 * What a plain batch leaves in its shard's tables, read back inside the
 * shard: the batch stores its writes with statements shared by the whole
 * batch (storage/document-store.ts `storePlans`), and must leave exactly
 * the rows that writing each document in turn would: change-log rows in
 * request order with the right before and after images and consecutive
 * versions, the log's byte total, and snapshot history for every row it
 * replaced or deleted.
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { connectClient } from "./helpers.js";
import { BATCH_RUN_WRITES_MAX } from "../../src/storage/batch-rows.js";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { WriteSchema } from "../../gen/impossibledb/v1/document_pb.js";

const db = connectClient(CollectionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const COLLECTION = "batchrows";

function idsOnOneShard(count: number, collection = COLLECTION): { shard: string; ids: string[] } {
  const shard = router.shardFor(collection, "seed");
  const ids: string[] = [];
  for (let i = 0; ids.length < count; i++) if (router.shardFor(collection, `r${i}`) === shard) ids.push(`r${i}`);
  return { shard, ids };
}

interface LogRow extends Record<string, SqlStorageValue> {
  id: string;
  op: string;
  data: string | null;
  version: number | null;
  before_data: string | null;
  before_version: number | null;
  bytes: number;
}

describe("a plain batch's rows in its shard", () => {
  it("logs each write in request order with its before image, counts the log's bytes and keeps history", async () => {
    const { shard, ids } = idsOnOneShard(4);
    const [a, b, c, d] = ids as [string, string, string, string];
    const first = await db.batchWriteDocuments({
      writes: [a, b].map((id) => ({ ref: { collection: COLLECTION, id }, operation: { case: "set" as const, value: { n: 1, s: `"${id}"\n` } } })),
    });
    expect(first.statuses.map((s) => s.code)).toEqual([0, 0]);
    const stub = env.SHARD.get(env.SHARD.idFromName(shard));
    const before = await runInDurableObject(stub, (_o, state) => ({
      seq: state.storage.sql.exec<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) AS seq FROM change_log").one().seq,
    }));

    // In an order that is not the ids' order: replace b, create d, delete a, delete c (never existed).
    const second = await db.batchWriteDocuments({
      writes: [
        { ref: { collection: COLLECTION, id: b }, operation: { case: "set", value: { n: 2, unicode: "é😀" } } },
        { ref: { collection: COLLECTION, id: d }, operation: { case: "set", value: { n: 3 } } },
        { ref: { collection: COLLECTION, id: a }, operation: { case: "delete", value: {} } },
        { ref: { collection: COLLECTION, id: c }, operation: { case: "delete", value: {} } },
      ],
    });
    expect(second.statuses.map((s) => s.code)).toEqual([0, 0, 0, 0]);
    const [vb, vd] = [second.results[0]!.version, second.results[1]!.version];
    expect(vd).toBe(vb + 1n);

    const seen = await runInDurableObject(stub, (_o, state) => {
      const sql = state.storage.sql;
      return {
        rows: sql.exec<LogRow>("SELECT id, op, data, version, before_data, before_version, bytes FROM change_log WHERE seq > ? ORDER BY seq", before.seq).toArray(),
        total: sql.exec<{ bytes: number }>("SELECT bytes FROM change_log_state").one().bytes,
        summed: sql.exec<{ bytes: number }>("SELECT COALESCE(SUM(bytes), 0) AS bytes FROM change_log").one().bytes,
        history: sql.exec<{ id: string; data: string }>("SELECT id, data FROM doc_history WHERE collection = ? ORDER BY id", COLLECTION).toArray(),
      };
    });
    const aFirst = JSON.stringify({ n: 1, s: `"${a}"\n` });
    const bFirst = JSON.stringify({ n: 1, s: `"${b}"\n` });
    expect(seen.rows.map((r) => [r.id, r.op, r.data, r.version, r.before_data])).toEqual([
      [b, "put", JSON.stringify({ n: 2, unicode: "é😀" }), Number(vb), bFirst],
      [d, "put", JSON.stringify({ n: 3 }), Number(vd), null],
      [a, "delete", null, null, aFirst],
      [c, "delete", null, null, null],
    ]);
    // The running total is what the trim reads; it must hold every row's bytes.
    expect(seen.total).toBe(seen.summed);
    expect(seen.rows.every((r) => r.bytes > 200)).toBe(true);
    expect(seen.history.map((h) => [h.id, h.data]).sort()).toEqual([[a, aFirst], [b, bFirst]].sort());
  });

  it("stores each document's row as a single write stores it", async () => {
    const { shard, ids } = idsOnOneShard(6);
    const [single, x, y] = ids.slice(3) as [string, string, string];
    const data = { n: 7, nested: { m: -1.5, s: "é😀" }, list: [1, "two"] };
    await db.setDocument({ ref: { collection: COLLECTION, id: single }, data });
    await db.batchWriteDocuments({ writes: [x, y].map((id) => ({ ref: { collection: COLLECTION, id }, operation: { case: "set" as const, value: data } })) });
    const firstY = (await db.getDocument({ ref: { collection: COLLECTION, id: y } })).document!;
    await db.batchWriteDocuments({ writes: [{ ref: { collection: COLLECTION, id: y }, operation: { case: "set", value: { n: 8 } } }] });
    const rows = await runInDurableObject(env.SHARD.get(env.SHARD.idFromName(shard)), (_o, state) =>
      state.storage.sql
        .exec<{ id: string; data: string; size_bytes: number; num_keys: string | null; create_time_ms: number; update_time_ms: number; commit_ts: number }>(
          "SELECT id, data, size_bytes, num_keys, create_time_ms, update_time_ms, commit_ts FROM documents WHERE collection = ? AND id IN (?, ?, ?)",
          COLLECTION, single, x, y,
        )
        .toArray(),
    );
    const row = (id: string) => rows.find((r) => r.id === id)!;
    const [s, bx, by] = [row(single), row(x), row(y)];
    expect([bx.data, bx.size_bytes, bx.num_keys]).toEqual([s.data, s.size_bytes, s.num_keys]);
    expect(s.num_keys).not.toBeNull();
    expect(bx.size_bytes).toBe(new TextEncoder().encode(bx.data).length);
    // Written again: its creation time stays, its update time and commit timestamp move on.
    expect(by.data).toBe(JSON.stringify({ n: 8 }));
    expect(by.create_time_ms).toBe(Number(firstY.createTime!.seconds) * 1000 + Math.floor(firstY.createTime!.nanos / 1e6));
    expect(by.commit_ts).toBeGreaterThan(bx.commit_ts);
  });

  it("a batch get of many documents on one shard, some cached, some missing, some twice, answers each in request order", async () => {
    const collection = `${COLLECTION}_get`;
    const { ids } = idsOnOneShard(60, collection);
    const stored = ids.filter((_, i) => i % 3 !== 0).slice(0, 35);
    await db.batchWriteDocuments({ writes: stored.map((id) => ({ ref: { collection, id }, operation: { case: "set" as const, value: { id, k: `v-${id}` } } })) });
    // Some are in the shard's document cache already, the rest are not.
    await db.batchGetDocuments({ refs: stored.filter((_, i) => i % 2 === 0).map((id) => ({ collection, id })) });
    const asked = [...ids.slice(0, 50), ids[7]!, ids[1]!, ids[7]!];
    const res = await db.batchGetDocuments({ refs: asked.map((id) => ({ collection, id })) });
    expect(res.unreadRefs).toEqual([]);
    expect(res.results.map((r) => [r.ref!.id, r.found, r.document?.data?.k])).toEqual(
      asked.map((id) => (stored.includes(id) ? [id, true, `v-${id}`] : [id, false, undefined])),
    );
  });

  it("a batch with more writes on one shard than one run of statements holds leaves the rows of writing each in turn", async () => {
    // Over two runs' worth (storage/batch-rows.ts BATCH_RUN_WRITES_MAX), so
    // the shard stores it in three runs: replacements, deletes of existing
    // and missing documents and creations, mixed across the runs' edges.
    const collection = `${COLLECTION}_runs`;
    const count = 2 * BATCH_RUN_WRITES_MAX + 7;
    const { shard, ids } = idsOnOneShard(count + 1, collection);
    const seeded = ids.slice(0, 60);
    await db.batchWriteDocuments({ writes: seeded.map((id) => ({ ref: { collection, id }, operation: { case: "set" as const, value: { v: 1, id } } })) });
    const stub = env.SHARD.get(env.SHARD.idFromName(shard));
    const seqBefore = await runInDurableObject(stub, (_o, state) => state.storage.sql.exec<{ seq: number }>("SELECT COALESCE(MAX(seq), 0) AS seq FROM change_log").one().seq);
    // Seeded ids: even ones replaced, odd ones deleted; then one never stored deleted; the rest created.
    type Op = { id: string; kind: "set" | "delete" };
    const ops: Op[] = [
      ...seeded.map((id, i): Op => ({ id, kind: i % 2 === 0 ? "set" : "delete" })),
      { id: ids[count]!, kind: "delete" },
      ...ids.slice(60, count).map((id): Op => ({ id, kind: "set" })),
    ];
    expect(ops.length).toBeGreaterThan(2 * BATCH_RUN_WRITES_MAX);
    const writes = ops.map(({ id, kind }): MessageInitShape<typeof WriteSchema> =>
      kind === "set" ? { ref: { collection, id }, operation: { case: "set", value: { v: 2, id } } } : { ref: { collection, id }, operation: { case: "delete", value: {} } },
    );
    const res = await db.batchWriteDocuments({ writes });
    expect(res.statuses.every((s) => s.code === 0)).toBe(true);
    const putVersions = res.results.filter((_, i) => ops[i]!.kind === "set").map((r) => r.version);
    // Versions are consecutive in request order, as one write after another takes them.
    putVersions.forEach((v, k) => expect(v).toBe(putVersions[0]! + BigInt(k)));
    const seen = await runInDurableObject(stub, (_o, state) => {
      const sql = state.storage.sql;
      return {
        log: sql.exec<LogRow>("SELECT id, op, data, version, before_data, before_version, bytes FROM change_log WHERE seq > ? ORDER BY seq", seqBefore).toArray(),
        docs: sql.exec<{ id: string; data: string; version: number }>("SELECT id, data, version FROM documents WHERE collection = ? ORDER BY id", collection).toArray(),
        history: sql.exec<{ id: string }>("SELECT id FROM doc_history WHERE collection = ? ORDER BY id", collection).toArray().map((r) => r.id),
        total: sql.exec<{ bytes: number }>("SELECT bytes FROM change_log_state").one().bytes,
        summed: sql.exec<{ bytes: number }>("SELECT COALESCE(SUM(bytes), 0) AS bytes FROM change_log").one().bytes,
      };
    });
    const json = (v: number, id: string) => JSON.stringify({ v, id });
    const seededSet = new Set(seeded);
    let nextPut = 0;
    expect(seen.log.map((r) => [r.id, r.op, r.data, r.version, r.before_data])).toEqual(
      ops.map(({ id, kind }) => [
        id,
        kind === "set" ? "put" : "delete",
        kind === "set" ? json(2, id) : null,
        kind === "set" ? Number(putVersions[nextPut++]) : null,
        seededSet.has(id) ? json(1, id) : null,
      ]),
    );
    const live = ops.filter((o) => o.kind === "set").map((o) => o.id);
    expect(seen.docs.map((d) => [d.id, d.data])).toEqual([...live].sort().map((id) => [id, json(2, id)]));
    expect(seen.history).toEqual([...seeded].sort());
    expect(seen.total).toBe(seen.summed);
  });
});
