/**
 * What a plain single-document write leaves in its shard, read back inside
 * the shard. A plain write takes its change-log before image from the row
 * it read to check the write, skips the history row of a document that did
 * not exist, and keeps the alarm with fewer statements
 * (storage/document-store.ts `storePlan`'s `before`,
 * sync/participant-recovery.ts `scheduleAfterPlainWrite`); the rows and
 * the alarm must be exactly what the full statements leave: the same
 * before images and bytes as a transaction's write (which still reads them
 * in SQL), the same history for snapshot reads, and an alarm no later than
 * the shard's next need (due at once when the change log is over its
 * bytes: it was set to time 0, which workerd refuses, and the applied write
 * answered INTERNAL). Its commit timestamp, taken in one statement, is the
 * hybrid clock's rule; and search maintenance, now run only when the write
 * queued documents, still indexes them in the write's call.
 */
import { describe, expect, it } from "vitest";
import { env, runInDurableObject } from "cloudflare:test";
import { AdminService } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { CollectionService } from "../../gen/impossibledb/v1/collection_service_pb.js";
import { TransactionService } from "../../gen/impossibledb/v1/transaction_service_pb.js";
import { clusterConfig } from "../../src/env.js";
import { createInitialRoutingTable, createShardRouter } from "../../src/routing/router.js";
import { CHANGE_LOG_RETENTION_MS_DEFAULT, SNAPSHOT_HISTORY_RETENTION_MS } from "../../src/limits.js";
import { connectClient } from "./helpers.js";
import { clockState, takeTimestamp } from "../../src/sync/snapshot-store.js";
import { nextTimestamp } from "../../src/sync/hybrid-clock.js";

const db = connectClient(CollectionService);
const tx = connectClient(TransactionService);
const config = clusterConfig(env);
const router = createShardRouter(createInitialRoutingTable(config.shardCount, config.virtualNodesPerShard));
const shardOf = (collection: string, id: string) => env.SHARD.get(env.SHARD.idFromName(router.shardFor(collection, id)));

// The alarm tests need shards no other test of this file writes to (their
// history rows would set the alarm already).
const ROWS_REFS = [{ collection: "plainrows", id: "doc1" }, { collection: "plainrows", id: "same" }];
function idOnAnotherShard(collection: string, taken: ReadonlyArray<{ collection: string; id: string }>): { collection: string; id: string } {
  const shards = new Set(taken.map((r) => router.shardFor(r.collection, r.id)));
  for (let i = 0; ; i++) if (!shards.has(router.shardFor(collection, `a${i}`))) return { collection, id: `a${i}` };
}
const FRESH_REF = idOnAnotherShard("plainalarm", ROWS_REFS);
const FULL_REF = idOnAnotherShard("plainfull", [...ROWS_REFS, FRESH_REF]);

interface LogRow extends Record<string, SqlStorageValue> {
  op: string;
  data: string | null;
  version: number | null;
  before_data: string | null;
  before_version: number | null;
  before_create_time_ms: number | null;
  before_update_time_ms: number | null;
  commit_ts: number;
  tx_id: string | null;
  bytes: number;
}

interface HistoryRow extends Record<string, SqlStorageValue> {
  valid_from_ts: number;
  valid_to_ts: number;
  data: string;
  version: number;
}

async function rowsOf(collection: string, id: string): Promise<{ log: LogRow[]; history: HistoryRow[] }> {
  return runInDurableObject(shardOf(collection, id), (_o, state) => ({
    log: state.storage.sql
      .exec<LogRow>(
        `SELECT op, data, version, before_data, before_version, before_create_time_ms, before_update_time_ms, commit_ts, tx_id, bytes
         FROM change_log WHERE collection = ? AND id = ? ORDER BY seq`,
        collection, id,
      )
      .toArray(),
    history: state.storage.sql
      .exec<HistoryRow>("SELECT valid_from_ts, valid_to_ts, data, version FROM doc_history WHERE collection = ? AND id = ? ORDER BY valid_from_ts", collection, id)
      .toArray(),
  }));
}

// The change log counts characters as SQLite's length() does (code points).
const chars = (text: string) => [...text].length;

describe("a plain write's rows in its shard", () => {
  it("logs each write with the row it replaced as its before image, and keeps history only of rows that existed", async () => {
    const ref = ROWS_REFS[0]!;
    const created = await db.createDocument({ ref, data: { n: 1, s: "é😀" } });
    const first = await rowsOf(ref.collection, ref.id);
    // A new document: no before image, nothing to keep for snapshot reads.
    expect(first.log).toHaveLength(1);
    expect(first.log[0]!).toMatchObject({ op: "put", before_data: null, before_version: null, before_create_time_ms: null, before_update_time_ms: null });
    expect(first.history).toEqual([]);

    const replaced = await db.setDocument({ ref, data: { n: 2 }, precondition: { condition: { case: "version", value: created.document!.version } } });
    await db.deleteDocument({ ref });
    const { log, history } = await rowsOf(ref.collection, ref.id);
    expect(log.map((r) => r.op)).toEqual(["put", "put", "delete"]);
    const [put1, put2, del] = log as [LogRow, LogRow, LogRow];
    const createMs = Number(created.document!.createTime!.seconds) * 1000 + created.document!.createTime!.nanos / 1e6;
    const updateMs2 = Number(replaced.document!.updateTime!.seconds) * 1000 + replaced.document!.updateTime!.nanos / 1e6;
    expect(put2).toMatchObject({ before_data: put1.data, before_version: put1.version, before_create_time_ms: createMs, before_update_time_ms: createMs, tx_id: null });
    expect(put2.bytes).toBe(200 + chars(ref.collection) + chars(ref.id) + chars(put2.data!) + chars(put1.data!));
    expect(del).toMatchObject({ data: null, version: null, before_data: put2.data, before_version: put2.version, before_create_time_ms: createMs, before_update_time_ms: updateMs2 });
    expect(del.bytes).toBe(200 + chars(ref.collection) + chars(ref.id) + chars(put2.data!));
    // Each replaced row is kept for snapshot reads, valid from its commit to the next.
    expect(history).toEqual([
      { valid_from_ts: put1.commit_ts, valid_to_ts: put2.commit_ts, data: put1.data, version: put1.version },
      { valid_from_ts: put2.commit_ts, valid_to_ts: del.commit_ts, data: put2.data, version: put2.version },
    ]);
    // The log's running total is the sum of its rows (nothing counted twice or left out).
    const totals = await runInDurableObject(shardOf(ref.collection, ref.id), (_o, state) => ({
      state: state.storage.sql.exec<{ bytes: number }>("SELECT bytes FROM change_log_state").one().bytes,
      rows: state.storage.sql.exec<{ bytes: number }>("SELECT COALESCE(SUM(bytes), 0) AS bytes FROM change_log").one().bytes,
    }));
    expect(totals.state).toBe(totals.rows);
  });

  it("logs the same before image and bytes as a transaction's write of the same document", async () => {
    const ref = ROWS_REFS[1]!;
    await db.setDocument({ ref, data: { n: 1 } });
    await db.setDocument({ ref, data: { n: 2, s: "plain" } });
    await tx.commitBatch({ writes: [{ ref, operation: { case: "set", value: { n: 3 } } }] });
    await db.setDocument({ ref, data: { n: 4 } });
    const { log } = await rowsOf(ref.collection, ref.id);
    expect(log).toHaveLength(4);
    const [, plain, viaTx, after] = log as [LogRow, LogRow, LogRow, LogRow];
    expect(viaTx.tx_id).not.toBeNull();
    expect(viaTx.before_data).toBe(plain.data);
    expect(after.before_data).toBe(viaTx.data);
    expect(after.before_version).toBe(viaTx.version);
    for (const [row, before] of [[plain, log[0]!], [viaTx, plain], [after, viaTx]] as const) {
      expect(row.bytes).toBe(200 + chars(ref.collection) + chars(ref.id) + chars(row.data!) + chars(before.data!));
    }
  });
});

describe("the shard's alarm after a plain write", () => {
  it("moves earlier when the write adds the shard's first history row, and stays when it adds nothing earlier", async () => {
    const ref = FRESH_REF;
    const alarmOf = () => runInDurableObject(shardOf(ref.collection, ref.id), async (_o, state) => state.storage.getAlarm());
    const before = Date.now();
    await db.setDocument({ ref, data: { n: 1 } });
    // Only a change row: the alarm is for its trim, after the log's retention.
    const onlyLog = await alarmOf();
    expect(onlyLog).not.toBeNull();
    expect(onlyLog!).toBeGreaterThanOrEqual(before + CHANGE_LOG_RETENTION_MS_DEFAULT);
    // The first superseded row: the alarm must come forward to its trim.
    await db.setDocument({ ref, data: { n: 2 } });
    const withHistory = await alarmOf();
    expect(withHistory!).toBeLessThanOrEqual(Date.now() + SNAPSHOT_HISTORY_RETENTION_MS);
    expect(withHistory!).toBeGreaterThanOrEqual(before + SNAPSHOT_HISTORY_RETENTION_MS);
    // Later writes add later needs only: the alarm stays.
    await db.setDocument({ ref, data: { n: 3 } });
    await db.setDocument({ ref, data: { n: 4 } });
    expect(await alarmOf()).toBe(withHistory);
  });

  it("is due at once when a write takes the change log over its bytes, though an alarm was set", async () => {
    const ref = FULL_REF;
    await db.setDocument({ ref, data: { n: 1 } });
    const alarm = await runInDurableObject(shardOf(ref.collection, ref.id), async (instance, state) => {
      const sql = state.storage.sql;
      const HUGE = 2 ** 50;
      // A log over any bytes limit, and an alarm already set within the history's retention.
      sql.exec("UPDATE change_log_state SET bytes = bytes + ?", HUGE);
      await state.storage.setAlarm(Date.now() + 1_000);
      await instance.write([{ op: "set", collection: ref.collection, id: ref.id, data: { n: 2 } }]);
      const after = await state.storage.getAlarm();
      sql.exec("UPDATE change_log_state SET bytes = bytes - ?", HUGE);
      return after;
    });
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(Date.now());
  });

  it("answers a write to a shard whose change log is over its bytes (it was applied, then answered INTERNAL)", async () => {
    const ref = FULL_REF;
    const stub = shardOf(ref.collection, ref.id);
    const HUGE = 2 ** 50;
    await runInDurableObject(stub, (_o, state) => void state.storage.sql.exec("UPDATE change_log_state SET bytes = bytes + ?", HUGE));
    try {
      const answer = await db.setDocument({ ref, data: { n: 3 } });
      expect(answer.document?.data).toEqual({ n: 3 });
    } finally {
      // The alarm may have trimmed rows meanwhile; their bytes left the total, HUGE did not.
      await runInDurableObject(stub, (_o, state) => void state.storage.sql.exec("UPDATE change_log_state SET bytes = bytes - ?", HUGE));
    }
    expect((await db.getDocument({ ref })).document?.data).toEqual({ n: 3 });
  });
});

describe("a write's commit timestamp", () => {
  it("is the hybrid clock's next timestamp, taken and recorded in one statement", async () => {
    const ref = ROWS_REFS[1]!;
    const taken = await runInDurableObject(shardOf(ref.collection, ref.id), (_o, state) => {
      const sql = state.storage.sql;
      const cases: Array<{ expected: number; got: number }> = [];
      const take = (nowMs: number) => {
        const expected = nextTimestamp(clockState(sql), nowMs);
        cases.push({ expected, got: takeTimestamp(sql, nowMs) });
      };
      const last = clockState(sql).lastTs;
      take(last / 1000 - 5_000); // a clock behind the last timestamp: the next microsecond
      take(last / 1000 - 5_000); // again: strictly after the one just taken
      sql.exec("UPDATE shard_clock SET max_read_ts = ? WHERE singleton = 1", clockState(sql).lastTs + 7_000);
      take(last / 1000); // a snapshot read above every timestamp given: above it
      take(last / 1000 + 60_000.7); // the wall clock ahead: its whole milliseconds
      return { cases, recorded: clockState(sql).lastTs };
    });
    for (const { expected, got } of taken.cases) expect(got).toBe(expected);
    expect(taken.cases[1]!.got).toBe(taken.cases[0]!.got + 1);
    expect(taken.recorded).toBe(taken.cases[3]!.got);
  });
});

describe("search maintenance after a plain write", () => {
  it("indexes a write to an indexed collection in the write's call, and queues nothing for other collections", async () => {
    const admin = connectClient(AdminService);
    const indexed = { collection: "plainsearch", id: "a1" };
    await admin.createSearchIndex({ index: { collection: indexed.collection, textFields: [{ field: "title", weight: 1 }] } });
    await db.setDocument({ ref: indexed, data: { title: "open source databases" } });
    await db.setDocument({ ref: { collection: "plainnosearch", id: indexed.id }, data: { title: "open source databases" } });
    // Read inside the shard before any search could run maintenance itself.
    const after = await runInDurableObject(shardOf(indexed.collection, indexed.id), (_o, state) => ({
      queued: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM search_pending").one().n,
      indexedRows: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM search_text_docs WHERE collection = ? AND id = ?", indexed.collection, indexed.id).one().n,
    }));
    expect(after).toEqual({ queued: 0, indexedRows: 1 });
    const other = await runInDurableObject(shardOf("plainnosearch", indexed.id), (_o, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM search_pending").one().n);
    expect(other).toBe(0);
  });
});
