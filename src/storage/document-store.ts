/**
 * A shard's documents in its SQLite database: reads, atomic batches of
 * writes with preconditions, and listing. The Durable Object class is a thin
 * shell over these functions.
 *
 * Every statement is parameterised; collection names and ids arrive already
 * checked against their grammar, and are asserted again here because a
 * shard must never store what the contract forbids.
 */
import { NOT_MOVED_SQL } from "../routing/moved.js";
import type { JsonObject } from "@bufbuild/protobuf";
import type { FailureKind } from "../errors.js";
import { checkRef } from "../validation/refs.js";
import { encodeDocumentData } from "../validation/document-data.js";
import { proposedData } from "./proposed.js";
import { anyLocks, holderPriorities, lockHolders, writeIntentHoldersInCollection } from "../sync/lockManager.js";
import { timestampMs } from "../sync/hybrid-clock.js";
import { archiveCurrent, archiveMany, takeTimestamp } from "../sync/snapshot-store.js";
import type {
  AppliedWrite,
  Blocked,
  ShardListOutcome,
  ShardReadOutcome,
  ShardStatistics,
  ShardWrite,
  ShardWriteOutcome,
  StoredDocument,
  WritePrecondition,
} from "./types.js";
import { BATCH_SIZE_MAX, DOCUMENT_STORED_BYTES_MAX, PAGE_SIZE_MAX, READ_WINDOW_DOCS_MAX, SHARD_REPLY_BYTES_MAX } from "../limits.js";
import { numberKeysJson } from "../query/number-key.js";
import { searchQueued } from "../search/search-maintenance.js";
import { SIZED_DOCUMENT_ROW_COLUMNS, UPSERT_DOCUMENT_SQL, UPSERT_DOCUMENTS_SQL, documentOfRow, upsertDocumentParams, type DocumentRow, type SizedDocumentRow } from "./document-row.js";
import { batchRuns, type BatchRow } from "./batch-rows.js";
import { PLAIN_WRITE, addLoggedBytes, changeLogBytes, insertChangeRow, insertChangeRowWithBefore, insertChangeRows, type ChangeEntry, type ChangeOrigin } from "../watch/change-log.js";
import type { WriteCheck } from "../rules/write-guard.js";
import type { DocumentCache } from "./document-cache.js";

const utf8 = new TextEncoder();

/** The stored row of one document, or null. */
export function readRow(sql: SqlStorage, collection: string, id: string): SizedDocumentRow | null {
  const rows = sql
    .exec<SizedDocumentRow>(`SELECT ${SIZED_DOCUMENT_ROW_COLUMNS} FROM documents WHERE collection = ? AND id = ?`, collection, id)
    .toArray();
  return rows[0] ?? null;
}

/**
 * Reads documents by reference; null for each one that does not exist.
 * A document under a transaction's write intent is not read: the answer is
 * Blocked, so no one sees a transaction that committed elsewhere but not
 * here yet.
 */
/**
 * Reads documents in request order; null for each missing one. With
 * `cache`, a document the shard decoded before is served from memory, and
 * one read from SQLite is kept there (storage/document-cache.ts). Stops once
 * the documents read hold `bytesMax` bytes of JSON or more (at least one
 * ref is always read), so a batch of large documents never loads whole
 * into the object's memory or one RPC reply; the refs after the last entry
 * returned were not read.
 */
export function readDocuments(sql: SqlStorage, refs: ReadonlyArray<{ collection: string; id: string }>, bytesMax = Infinity, cache: DocumentCache | null = null): ShardReadOutcome {
  assert(refs.length <= BATCH_SIZE_MAX, "read batch within BATCH_SIZE_MAX");
  const blockedBy = new Set<string>();
  const locked = anyLocks(sql);
  for (const ref of refs) {
    assert(checkRef(ref) === null, "reference checked by the Worker");
    if (locked) for (const tx of lockHolders(sql, ref, "write")) blockedBy.add(tx);
  }
  if (blockedBy.size > 0) return pointBlocked(sql, blockedBy);
  const documents: Array<StoredDocument | null> = [];
  let bytes = 0;
  // Refs go in windows of READ_WINDOW_DOCS_MAX: the window's uncached
  // documents are read in one statement, then the window is walked in
  // order exactly as one read per ref would (the same stop, the same cache
  // hits, misses and fills); a document read past the stop is dropped.
  for (let start = 0; start < refs.length && bytes < bytesMax; start += READ_WINDOW_DOCS_MAX) {
    const window = refs.slice(start, start + READ_WINDOW_DOCS_MAX);
    // After the lock check: a document under a write intent is never served, cached or not.
    const uncached = cache === null ? window : window.filter((ref) => !cache.has(ref.collection, ref.id));
    const rows = readRows(sql, uncached);
    const queried = new Set(uncached.map(refKey));
    for (const ref of window) {
      if (bytes >= bytesMax) break;
      const cached = cache?.get(ref.collection, ref.id);
      if (cached !== undefined) {
        documents.push(cached.document);
        bytes += cached.jsonBytes;
        continue;
      }
      // A document cached when the window began may have been evicted by the
      // fills since; it was not in the window's statement, so it is read alone.
      const row = queried.has(refKey(ref)) ? (rows.get(refKey(ref)) ?? null) : readRow(sql, ref.collection, ref.id);
      const document = row === null ? null : documentOfRow(row);
      if (document !== null) cache?.fill(document, row!.size_bytes);
      documents.push(document);
      bytes += row === null ? 0 : row.size_bytes;
    }
  }
  return { ok: true, documents };
}

// Collection names cannot hold U+0000 (their grammar), so the key is unambiguous.
const refKey = (ref: { collection: string; id: string }) => `${ref.collection}\u0000${ref.id}`;

/**
 * The stored rows of up to READ_WINDOW_DOCS_MAX documents, by refKey, in
 * one statement whose text never varies (the refs are one JSON parameter
 * read by `json_each`), so it is prepared once.
 */
function readRows(sql: SqlStorage, refs: ReadonlyArray<{ collection: string; id: string }>): Map<string, SizedDocumentRow> {
  assert(refs.length <= READ_WINDOW_DOCS_MAX, "a read window within READ_WINDOW_DOCS_MAX");
  const rows = new Map<string, SizedDocumentRow>();
  if (refs.length === 0) return rows;
  if (refs.length === 1) {
    const row = readRow(sql, refs[0]!.collection, refs[0]!.id);
    if (row !== null) rows.set(refKey(row), row);
    return rows;
  }
  const cursor = sql.exec<SizedDocumentRow>(
    `SELECT ${SIZED_DOCUMENT_ROW_COLUMNS.split(", ").map((c) => `d.${c}`).join(", ")}
     FROM json_each(?) r JOIN documents d ON d.collection = json_extract(r.value, '$[0]') AND d.id = json_extract(r.value, '$[1]')`,
    JSON.stringify(refs.map((r) => [r.collection, r.id])),
  );
  for (const row of cursor) rows.set(refKey(row), row);
  return rows;
}

/**
 * The stored row of each of `refs` (distinct documents), in order, null
 * for a missing one: readRows over windows of READ_WINDOW_DOCS_MAX refs.
 */
function readRowsInWindows(sql: SqlStorage, refs: ReadonlyArray<{ collection: string; id: string }>): Array<SizedDocumentRow | null> {
  const out: Array<SizedDocumentRow | null> = [];
  for (let start = 0; start < refs.length; start += READ_WINDOW_DOCS_MAX) {
    const window = refs.slice(start, start + READ_WINDOW_DOCS_MAX);
    const rows = readRows(sql, window);
    for (const ref of window) out.push(rows.get(refKey(ref)) ?? null);
  }
  return out;
}

/** Blocked when transactions hold write intents in `collection`, else null. */
export function blockedByWriteIntents(sql: SqlStorage, collection: string): Blocked | null {
  const holders = writeIntentHoldersInCollection(sql, collection);
  return holders.length > 0 ? blocked(holders) : null;
}

function blocked(txs: Iterable<string>): Blocked {
  return { ok: false, kind: "aborted", message: "documents are locked by transactions in progress", blockedBy: [...txs] };
}

/**
 * Blocked, for a plain read or write of named documents: the holders that
 * are retries (they have a priority) are to be waited for, never aborted
 * (`patient`, sync/intent-resolver.ts), as a plain UPDATE waits for a row
 * lock in any lock-based database. A plain request has no priority of its
 * own, so under wound-wait it is younger than every retry; before, it
 * aborted any holder after INTENT_RESOLUTION_PATIENCE_ROUNDS, so plain
 * writes to a hot document made runTransaction give up (a new user's
 * finding: transfers between two accounts beside plain updates ran up to
 * 10 times and gave up). A retry that goes quiet still loses its locks
 * after TX_READ_LOCK_LEASE_MS, and the wait is bounded by
 * TX_LOCK_WAIT_MS_MAX. First attempts' locks (prepared, no priority) are
 * aborted after the patience rounds as before.
 */
function pointBlocked(sql: SqlStorage, txs: Iterable<string>): Blocked & { wound: string[]; patient: string[] } {
  const holders = [...txs];
  const priorities = holderPriorities(sql, holders);
  return { ...blocked(holders), wound: [], patient: holders.filter((tx) => priorities.get(tx) !== null) };
}

/**
 * A write that passed every check, ready to be stored. `numKeys` is the
 * document's `num_keys` shadow (see query/number-key.ts) when the planner
 * computed it; storePlan computes it otherwise.
 */
export type PlannedWrite =
  | { kind: "put"; collection: string; id: string; json: string; bytes: number; data: JsonObject; createTimeMs: number; numKeys?: string | null }
  | { kind: "delete"; collection: string; id: string; existed: boolean };

/** A planned write, or why it cannot be applied. */
export type Planned = { ok: true; write: PlannedWrite } | { ok: false; kind: FailureKind; message: string };

/**
 * Applies `writes` atomically: every precondition and operation rule is
 * checked first against the current state, and only when all pass are the
 * writes stored, in one SQLite transaction. There is no `await` inside, so
 * no other request can interleave between the checks and the writes.
 * `check` is the caller's write rules (rules/write-guard.ts), run first.
 * `totals`, when given, is filled once the writes are stored, in their
 * transaction (so the caller's alarm decision needs no statement of its
 * own after it: see sync/participant-recovery.ts scheduleAfterPlainWrite).
 */
export function applyWrites(storage: DurableObjectStorage, writes: readonly ShardWrite[], nowMs: number, check: WriteCheck | null = null, totals: AppliedTotals | null = null): ShardWriteOutcome {
  assert(writes.length > 0 && writes.length <= BATCH_SIZE_MAX, "write batch within BATCH_SIZE_MAX");
  assertDistinct(writes);
  const sql = storage.sql;
  return storage.transactionSync((): ShardWriteOutcome => {
    const locked = new Set<string>();
    if (anyLocks(sql)) for (const write of writes) for (const tx of lockHolders(sql, write, "any")) locked.add(tx);
    if (locked.size > 0) return { ...pointBlocked(sql, locked), index: 0 };
    // One batch, one commit timestamp: every write carries it, and a
    // document the batch creates is created at it.
    const commitTs = takeTimestamp(sql, nowMs);
    const plans: PlannedWrite[] = [];
    // The rows read here are the rows the writes replace: nothing changes
    // them before storePlans, in this same transaction.
    const befores: Array<DocumentRow | null> = [];
    // The rows every write replaces, read READ_WINDOW_DOCS_MAX to a
    // statement rather than one statement each (a fixed cost per statement
    // on workerd); nothing changes them before storePlans.
    const rows = readRowsInWindows(sql, writes);
    for (const [index, write] of writes.entries()) {
      assert(checkRef(write) === null, "reference checked by the Worker");
      const row = rows[index]!;
      befores.push(row);
      // Security rules first (rules/write-guard.ts), against the row this write replaces.
      const refusal = check === null ? null : check(write, storedData(row), timestampMs(commitTs));
      if (refusal !== null) return { ok: false, kind: "permission_denied", message: refusal, index };
      const planned = planWrite(write, row, timestampMs(commitTs));
      if (!planned.ok) return { ok: false, kind: planned.kind, message: planned.message, index };
      plans.push(planned.write);
    }
    const results = storePlans(sql, plans, commitTs, befores);
    if (totals !== null) {
      totals.changeLogBytes = changeLogBytes(sql);
      totals.searchQueued = searchQueued(sql);
    }
    return { ok: true, results };
  });
}

/** What applyWrites reports of the shard after storing its writes. */
export interface AppliedTotals {
  /** The change log's byte total (change_log_state.bytes) after the writes. */
  changeLogBytes: number;
  /** True when documents wait in the search queue (search/search-maintenance.ts) after the writes. */
  searchQueued: boolean;
}

/** The parsed data of a row, or null. */
export function storedData(row: DocumentRow | null): JsonObject | null {
  return row === null ? null : (JSON.parse(row.data) as JsonObject);
}

/** Checks one write against the document's current row and plans it. */
export function planWrite(write: ShardWrite, row: DocumentRow | null, nowMs: number): Planned {
  const name = `${write.collection}/${write.id}`;
  const preconditionFailure = checkPrecondition(write.precondition, row, name);
  if (preconditionFailure !== null) return { ok: false, kind: "failed_precondition", message: preconditionFailure };
  const createTimeMs = row?.create_time_ms ?? nowMs;
  if (write.op === "create" && row !== null) return { ok: false, kind: "already_exists", message: `document ${name} already exists` };
  if (write.op === "update" && row === null) return { ok: false, kind: "not_found", message: `document ${name} does not exist` };
  // The data, or the patch over the stored data, then the field transforms
  // (storage/transforms.ts), computed here, inside the write's transaction:
  // no read round trip, and no concurrent write can come between.
  const proposed = proposedData(write, write.op === "update" ? storedData(row) : null, nowMs);
  if (proposed === null) return { ok: true, write: { kind: "delete", collection: write.collection, id: write.id, existed: row !== null } };
  if (!proposed.ok) return { ok: false, kind: proposed.kind, message: `document ${name}: ${proposed.message}` };
  return planPut(write.collection, write.id, proposed.data, createTimeMs);
}

function planPut(collection: string, id: string, data: JsonObject, createTimeMs: number): Planned {
  const encoded = encodeDocumentData(data);
  if (!encoded.ok) return { ok: false, kind: encoded.kind, message: `document ${collection}/${id}: ${encoded.message}` };
  // The answer carries the data as stored (a -0 is stored as 0), so it
  // equals what reads return.
  const { json, bytes, data: stored } = encoded.value;
  const numKeys = numberKeysJson(stored);
  const storedBytes = bytes + (numKeys === null ? 0 : utf8.encode(numKeys).length);
  if (storedBytes > DOCUMENT_STORED_BYTES_MAX) {
    return {
      ok: false,
      kind: "resource_exhausted",
      message: `document ${collection}/${id} with the order keys of its numbers and typed values is ${storedBytes} bytes, over DOCUMENT_STORED_BYTES_MAX (${DOCUMENT_STORED_BYTES_MAX}); bytes values count about 2.7 times their length, and many numbers under long field names add up too`,
    };
  }
  return { ok: true, write: { kind: "put", collection, id, json, bytes, data: stored, createTimeMs, numKeys } };
}

function checkPrecondition(p: WritePrecondition | undefined, row: DocumentRow | null, name: string): string | null {
  if (p === undefined) return null;
  if ("exists" in p) {
    if (p.exists && row === null) return `precondition failed: document ${name} does not exist`;
    if (!p.exists && row !== null) return `precondition failed: document ${name} exists`;
    return null;
  }
  if (row === null) return `precondition failed: document ${name} does not exist (expected version ${p.version})`;
  if (row.version !== p.version) return `precondition failed: document ${name} is at version ${row.version}, not ${p.version}`;
  return null;
}

/** Takes the next number of the shard's write sequence. */
export function nextVersion(sql: SqlStorage): number {
  return takeVersions(sql, 1);
}

/**
 * Takes the next `count` numbers of the shard's write sequence in one
 * statement and returns the first; the others follow it one by one.
 */
function takeVersions(sql: SqlStorage, count: number): number {
  assert(Number.isSafeInteger(count) && count > 0, "versions are taken one or more at a time");
  const row = sql
    .exec<{ last_version: number }>("UPDATE shard_sequence SET last_version = last_version + ? WHERE singleton = 1 RETURNING last_version", count)
    .one();
  return row.last_version - count + 1;
}

/**
 * Stores a planned write at commit timestamp `commitTs` (µs, from the
 * shard's hybrid clock; its millisecond part is the updateTime). The row it
 * replaces is kept for snapshot reads first. `reservedVersion` is the
 * version a transaction took when it prepared the write; plain writes take
 * the next one now. The write is recorded in the change log first (see
 * watch/change-log.ts), with `origin` naming its transaction.
 *
 * `before`, when given, is the document's row as the caller read it in this
 * same SQLite transaction with nothing changed since (null: no row): the
 * change log takes its before image from it and a new document has no row
 * to archive, so neither statement reads the row again. Left out, both read
 * it in SQL.
 */
export function storePlan(sql: SqlStorage, plan: PlannedWrite, commitTs: number, reservedVersion?: number, origin: ChangeOrigin = PLAIN_WRITE, before?: DocumentRow | null): AppliedWrite {
  const version = plan.kind === "put" ? (reservedVersion ?? nextVersion(sql)) : null;
  const { applied, loggedBytes } = storeOne(sql, plan, commitTs, version, origin, before);
  addLoggedBytes(sql, loggedBytes);
  return applied;
}

/**
 * Stores a plain batch's planned writes, in order, at one commit timestamp:
 * the same rows as storePlan for each, with the per-batch work done once
 * (the versions taken in one statement, in plan order as storePlan would
 * take them; the change log's byte total raised once). `befores[i]` is the
 * row plan i replaces, read in this transaction (storePlan's `before`).
 */
export function storePlans(sql: SqlStorage, plans: readonly PlannedWrite[], commitTs: number, befores: ReadonlyArray<DocumentRow | null>): AppliedWrite[] {
  assert(befores.length === plans.length, "one before row per plan");
  // One write (every single-document call): its own statements, with no
  // JSON parameter to build and read back.
  if (plans.length === 1) return [storePlan(sql, plans[0]!, commitTs, undefined, PLAIN_WRITE, befores[0]!)];
  const nowMs = timestampMs(commitTs);
  const puts = plans.reduce((n, plan) => n + (plan.kind === "put" ? 1 : 0), 0);
  let nextPut = puts === 0 ? 0 : takeVersions(sql, puts);
  const versions = plans.map((plan) => (plan.kind === "put" ? nextPut++ : null));
  // The batch goes in runs (storage/batch-rows.ts: at most
  // BATCH_RUN_WRITES_MAX writes, their documents' JSON bound one parameter
  // each), each run three statements. The batch names each document once
  // (assertDistinct), so archiving and logging every write of a run before
  // changing any row reads the same before images as doing each write's
  // steps in turn, and runs in plan order keep the log in plan order.
  const rows = plans.map((plan, i): BatchRow =>
    plan.kind === "put"
      ? { collection: plan.collection, id: plan.id, json: plan.json, version: versions[i]!, createTimeMs: plan.createTimeMs, bytes: plan.bytes, numKeys: plan.numKeys !== undefined ? plan.numKeys : numberKeysJson(plan.data) }
      : { collection: plan.collection, id: plan.id, json: null, version: null, createTimeMs: null, bytes: 0, numKeys: null },
  );
  let loggedBytes = 0;
  for (const run of batchRuns(rows)) {
    archiveMany(sql, run.indexes.map((i) => plans[i]!), commitTs);
    loggedBytes += insertChangeRows(sql, run, commitTs, PLAIN_WRITE);
    if (run.indexes.some((i) => plans[i]!.kind === "put")) sql.exec(UPSERT_DOCUMENTS_SQL, ...run.bindings([nowMs, commitTs]));
  }
  addLoggedBytes(sql, loggedBytes);
  return plans.map((plan, i) => {
    if (plan.kind === "delete") return writeRow(sql, plan, commitTs, null, nowMs);
    const version = versions[i]!;
    const document: StoredDocument = { collection: plan.collection, id: plan.id, data: plan.data, version, createTimeMs: plan.createTimeMs, updateTimeMs: nowMs };
    return { collection: plan.collection, id: plan.id, document, existed: true, updateTimeMs: nowMs };
  });
}

/** Changes one document's row (the last of storePlan's steps) and returns the write's result. */
function writeRow(sql: SqlStorage, plan: PlannedWrite, commitTs: number, version: number | null, nowMs: number): AppliedWrite {
  if (plan.kind === "delete") {
    sql.exec("DELETE FROM documents WHERE collection = ? AND id = ?", plan.collection, plan.id);
    return { collection: plan.collection, id: plan.id, document: null, existed: plan.existed, updateTimeMs: nowMs };
  }
  assert(version !== null, "a put has a version");
  sql.exec(UPSERT_DOCUMENT_SQL, ...upsertDocumentParams({ ...plan, version, updateTimeMs: nowMs, commitTs }));
  const document: StoredDocument = { collection: plan.collection, id: plan.id, data: plan.data, version, createTimeMs: plan.createTimeMs, updateTimeMs: nowMs };
  return { collection: plan.collection, id: plan.id, document, existed: true, updateTimeMs: nowMs };
}

/**
 * storePlan's rows for one write whose version (null for a delete) is
 * given, with its `before` row when the caller read it; returns the
 * change-log bytes it did not add.
 */
function storeOne(sql: SqlStorage, plan: PlannedWrite, commitTs: number, version: number | null, origin: ChangeOrigin, before: DocumentRow | null | undefined): { applied: AppliedWrite; loggedBytes: number } {
  // A document with no row has nothing to keep for snapshot reads.
  if (before !== null) archiveCurrent(sql, plan.collection, plan.id, commitTs);
  const change: ChangeEntry =
    plan.kind === "put"
      ? { collection: plan.collection, id: plan.id, json: plan.json, bytes: plan.bytes, version, createTimeMs: plan.createTimeMs, commitTs }
      : { collection: plan.collection, id: plan.id, json: null, version: null, createTimeMs: null, commitTs };
  const loggedBytes = before === undefined ? insertChangeRow(sql, change, origin) : insertChangeRowWithBefore(sql, change, origin, before);
  return { applied: writeRow(sql, plan, commitTs, version, timestampMs(commitTs)), loggedBytes };
}

/**
 * Lists up to `limit` documents of one collection with ids after `afterId`
 * (from the start when null), in id order. The primary key bounds the scan
 * to this collection. The page also ends, with `hasMore`, once its
 * documents hold `bytesMax` bytes of JSON or more (at least one document),
 * so a page of large documents stays within one small RPC reply.
 * `excludeMoved`: leave out the rows a source releasing a resharding's
 * moved rows no longer owns (routing/shard-epoch.ts NOT_MOVED_SQL).
 */
export function listDocuments(sql: SqlStorage, collection: string, afterId: string | null, limit: number, bytesMax = SHARD_REPLY_BYTES_MAX, excludeMoved = false): ShardListOutcome {
  assert(limit > 0 && limit <= PAGE_SIZE_MAX, "list limit within PAGE_SIZE_MAX");
  const isBlocked = blockedByWriteIntents(sql, collection);
  if (isBlocked !== null) return isBlocked;
  // One row more than asked tells whether the shard has more.
  const owned = excludeMoved ? ` AND ${NOT_MOVED_SQL}` : "";
  const cursor =
    afterId === null
      ? sql.exec<SizedDocumentRow>(`SELECT ${SIZED_DOCUMENT_ROW_COLUMNS} FROM documents WHERE collection = ?${owned} ORDER BY id LIMIT ?`, collection, limit + 1)
      : sql.exec<SizedDocumentRow>(
          `SELECT ${SIZED_DOCUMENT_ROW_COLUMNS} FROM documents WHERE collection = ? AND id > ?${owned} ORDER BY id LIMIT ?`,
          collection, afterId, limit + 1,
        );
  // Rows are taken one at a time (still synchronously) so that a page of
  // large documents stops at bytesMax without loading the rest.
  const documents: StoredDocument[] = [];
  let bytes = 0;
  let hasMore = false;
  for (const row of cursor) {
    if (documents.length >= limit || bytes >= bytesMax) {
      hasMore = true;
      break;
    }
    documents.push(documentOfRow(row));
    bytes += row.size_bytes;
  }
  return { ok: true, documents, hasMore, rowsRead: cursor.rowsRead };
}

/** Counts what the shard stores. */
export function statistics(sql: SqlStorage, schemaVersion: number): Omit<ShardStatistics, "requestsPerSecond"> {
  // From the per-collection totals the write triggers keep (schema.ts,
  // migrations 3 and 4): one row per collection, never a scan of documents.
  const row = sql
    .exec<{ n: number; bytes: number }>("SELECT COALESCE(SUM(document_count), 0) AS n, COALESCE(SUM(data_bytes), 0) AS bytes FROM collection_stats")
    .one();
  return { documentCount: row.n, dataBytes: row.bytes, schemaVersion };
}

function assertDistinct(writes: readonly ShardWrite[]): void {
  const seen = new Set<string>();
  for (const w of writes) {
    const key = `${w.collection}\u0000${w.id}`;
    assert(!seen.has(key), "a batch names each document at most once");
    seen.add(key);
  }
}

function assert(condition: boolean, invariant: string): asserts condition {
  if (!condition) throw new Error(`invariant broken: ${invariant}`);
}
