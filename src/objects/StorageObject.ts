/**
 * A shard: one SQLite-backed Durable Object holding the documents the
 * routing table assigns to it. Its public methods are its Workers RPC
 * surface; the logic lives in `src/storage/` (documents) and `src/sync/`
 * (its part in transactions).
 *
 * Expected failures come back as values, never as thrown errors, because
 * Workers RPC keeps only an error's message.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import { assertNotErased, eraseDatabase, isErased } from "./tombstone.js";
import { answerRefusalsAsValues } from "./rpc-refusals.js";
import { SHARD_RPC_METHODS } from "../shards/shard-client.js";
import { RequestRate } from "../shards/request-rate.js";
import { changeLogRetention, documentCacheEnabled } from "../env.js";
import { LISTEN_WAITERS_PER_SHARD_MAX, LOCK_WAITER_MEMORY_MS, LOCK_WAITERS_MAX } from "../limits.js";
import { CHANGE_LOG_MIGRATIONS, changeLogBounds, type ChangeLogRetention, type ChangeRow } from "../watch/change-log.js";
import { ChangeWaiters, FeedReadCache, listenSnapshot, readFeed, readWindow, type ShardChanges, type ShardListenSnapshot, type ShardWindow } from "../watch/shard-feed.js";
import { DOCUMENT_MIGRATIONS, appliedMigrationCount, migrate } from "../storage/schema.js";
import { applyWrites, blockedByWriteIntents, listDocuments, readDocuments, statistics, type AppliedTotals } from "../storage/document-store.js";
import { deleteCollectionStep, listShardCollections } from "../storage/collections.js";
import type { Blocked, ShardCollectionsPage, ShardDeleteStep, ShardListOutcome, ShardReadOutcome, ShardStatistics, ShardWrite, ShardWriteOutcome, StoredDocument } from "../storage/types.js";
import { TRANSACTION_MIGRATIONS, locksOf, writeIntentHoldersInCollectionRange } from "../sync/lockManager.js";
import { DocumentCache } from "../storage/document-cache.js";
import { abort, commit, commitOnePhase, prepare, prepareStatusOrRefuse, recordedVote, type ParticipantRequest, type RecoveryStatus, type Vote } from "../sync/participant.js";
import { resolveOverdue, scheduleAfterPlainWrite, scheduleRecovery } from "../sync/participant-recovery.js";
import { SNAPSHOT_MIGRATIONS, readSnapshot, readVersion } from "../sync/snapshot-store.js";
import { readWithLocks, type LockingReader } from "../sync/locking-read.js";
import { LockWaitQueue } from "../sync/lock-waiters.js";
import { geoRuleBoundRefusal, ruleBoundRefusal } from "../search/readable-stats.js";
import { failure, type Failure } from "../errors.js";
import { writeCheck, type ShardWriteGuard } from "../rules/write-guard.js";
import { ShardResharding } from "../routing/shard-resharding.js";
import { SHARD_EPOCH_MIGRATIONS, EpochGuard, type ShardEpoch } from "../routing/shard-epoch.js";
import type { RoutingTable } from "../routing/router.js";
import type { ChangedSince, ChecksumBase, ChecksumPoint, ChecksumProgress, ExportPage, FenceOutcome, MovingChange, PromoteOutcome, RowCursor, VerifyProgress, VerifyStep } from "../routing/reshard-shard.js";
import type { PromoteRequest } from "../routing/shard-resharding.js";
import { INDEX_MIGRATIONS, createIndex, dropIndex, listIndexes, type IndexSpec } from "../query/indexes.js";
import { SEARCH_MIGRATIONS, listSearchIndexes, type SearchIndexSpec, type SearchShardState } from "../search/catalog.js";
import { maintainSearch, searchQueued } from "../search/search-maintenance.js";
import { compactionStep, skipCompaction } from "../search/compaction.js";
import { UnchangedReads } from "../storage/unchanged-reads.js";
import { runShardGeoSearch, type ShardGeoRequest, type ShardGeoResult } from "../search/shard-geo.js";
import { backfillShardSearchIndex, createShardSearchIndex, dropShardSearchIndex, type SearchIndexStep } from "../search/shard-index.js";
import { SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX } from "../search/limits.js";
import { VocabularyCache } from "../search/vocabulary-cache.js";
import { runSearchStats, runShardSearch, type ShardSearchRequest, type ShardSearchResult, type ShardSearchStats, type ShardSearchStatsRequest } from "../search/shard-search.js";
import {
  runShardAggregation,
  runShardQuery,
  type ShardAggregationRequest,
  type ShardAggregationResult,
  type ShardQueryRequest,
  type ShardQueryResult,
} from "../query/shard-query.js";

export class StorageObject extends DurableObject<Env> {
  /**
   * The calls this object answered over the last minute, in memory, for
   * `stats()`: every RPC method records one as it starts, except `stats()`
   * itself (so polling the statistics does not inflate them).
   */
  private readonly requests = new RequestRate(Date.now());
  /** Retries waiting for documents' locks, so a released lock goes to the oldest (sync/lock-waiters.ts). */
  private readonly lockWaiters = new LockWaitQueue(LOCK_WAITER_MEMORY_MS, LOCK_WAITERS_MAX);
  /** The change log's retention, from the CHANGE_LOG_RETENTION_HOURS var. */
  private readonly retention: ChangeLogRetention;
  /** Feed calls waiting for the next change (see watch/shard-feed.ts). */
  private readonly changeWaiters = new ChangeWaiters(LISTEN_WAITERS_PER_SHARD_MAX);
  /** Log pages read at the current head, shared by the feed calls one write wakes. */
  private readonly feedCache = new FeedReadCache();
  /** True once DeleteDatabase erased this shard: every call is refused (tombstone.ts). */
  private erased: boolean;
  /** Refuses requests routed by an older routing table (routing/shard-epoch.ts). */
  private readonly epochs: EpochGuard;
  /** Vocabulary ranges for typo tolerance, by text index generation (search/vocabulary-cache.ts). */
  private readonly vocabulary = new VocabularyCache();
  /** Search passes' reads (an index's state, a collection's write intents) kept while the database is unchanged (storage/unchanged-reads.ts). */
  private readonly reads = new UnchangedReads();
  /** The shard's part in a resharding (routing/reshard-shard.ts). */
  private readonly resharding: ShardResharding;
  /**
   * Decoded documents kept between requests (storage/document-cache.ts);
   * null when the SHARD_DOCUMENT_CACHE var is "off". Filled by `get`; every
   * method that changes the documents table drops what it changed: `write`
   * and `txCommitOnePhase` their writes' documents, `txCommit` the
   * transaction's write intents' documents, `deleteCollection` the
   * collection, and the alarm (recovery may commit), `eraseDatabase` and
   * the resharding steps that copy, promote or remove rows everything.
   */
  private readonly cache: DocumentCache | null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.retention = changeLogRetention(env);
    this.erased = isErased(ctx.storage.sql);
    this.epochs = new EpochGuard(ctx.storage.sql);
    this.resharding = new ShardResharding(ctx.storage, this.epochs);
    this.cache = documentCacheEnabled(env) ? new DocumentCache() : null;
    if (this.erased) return;
    ctx.storage.transactionSync(() => {
      migrate(ctx.storage.sql, "documents", DOCUMENT_MIGRATIONS);
      // After the documents: it adds their commit timestamps.
      migrate(ctx.storage.sql, "snapshots", SNAPSHOT_MIGRATIONS);
      migrate(ctx.storage.sql, "transactions", TRANSACTION_MIGRATIONS);
      migrate(ctx.storage.sql, "indexes", INDEX_MIGRATIONS);
      migrate(ctx.storage.sql, "changes", CHANGE_LOG_MIGRATIONS);
      migrate(ctx.storage.sql, "resharding", SHARD_EPOCH_MIGRATIONS);
      // After the documents: its triggers are on them.
      migrate(ctx.storage.sql, "search", SEARCH_MIGRATIONS);
    });
    // Documents queued for indexing (a migration queues a whole collection
    // to index it again) are indexed by the alarm, a step at a time, with no
    // write or search to drive it (search/search-maintenance.ts).
    if (searchQueued(ctx.storage.sql)) void ctx.blockConcurrencyWhile(() => scheduleRecovery(ctx.storage, this.retention));
  }

  /** Reads documents in order; null for each missing one; stops past `bytesMax` of data. Blocked under write intents. */
  get(refs: ReadonlyArray<{ collection: string; id: string }>, bytesMax?: number): ShardReadOutcome {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.epochs.assertOwns(refs);
    return readDocuments(this.ctx.storage.sql, refs, bytesMax, this.cache);
  }

  /** Reads documents as they were at snapshot `snapshotTs` (µs); Blocked by intents that may commit inside it. */
  getAt(refs: ReadonlyArray<{ collection: string; id: string }>, snapshotTs: number): ShardReadOutcome | Failure {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.epochs.assertOwns(refs);
    const stamp = this.epochs.current();
    if (stamp !== null && snapshotTs < stamp.cutoverTs) {
      return failure("aborted", "transaction aborted: its snapshot predates a resharding of the shard it read; retry it");
    }
    return readSnapshot(this.ctx.storage, refs, snapshotTs, Date.now());
  }

  /**
   * Version `version` of one document, from its row or its history; null
   * when this shard no longer holds that version (snapshot-store.ts
   * `readVersion`). For a page token's anchor (src/query/anchor.ts): no
   * read rule applies, because the key it yields is only a position the
   * caller's own earlier page ended on, never returned.
   */
  documentVersion(ref: { collection: string; id: string }, version: number): StoredDocument | null {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.epochs.assertOwns([ref]);
    return readVersion(this.ctx.storage.sql, ref, version);
  }

  /** Reads documents for a retry, taking read locks; Blocked when it should wait (lock-order.ts). */
  async getLocked(reader: LockingReader, refs: ReadonlyArray<{ collection: string; id: string }>): Promise<ShardReadOutcome | Failure> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.epochs.assertOwns(refs);
    const outcome = readWithLocks(this.ctx.storage, reader, refs, Date.now(), this.lockWaiters);
    // The alarm drops the locks if the transaction's deadline passes first.
    if (outcome.ok) await scheduleRecovery(this.ctx.storage, this.retention);
    return outcome;
  }

  /**
   * Applies writes atomically: all of them, or none with the first failure.
   * `guard` holds the caller's write rules, checked inside the write.
   */
  async write(writes: readonly ShardWrite[], guard: ShardWriteGuard | null = null): Promise<ShardWriteOutcome> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.epochs.assertOwns(writes);
    this.forget(writes);
    const nowMs = Date.now();
    const totals: AppliedTotals = { changeLogBytes: 0, searchQueued: false };
    const outcome = applyWrites(this.ctx.storage, writes, nowMs, writeCheck(guard), totals);
    // The versions it superseded are trimmed by the alarm.
    if (outcome.ok) {
      // Only a write to an indexed collection (or one left queued before) has documents to index.
      if (totals.searchQueued) this.maintainSearch();
      this.changeWaiters.wake();
      await scheduleAfterPlainWrite(this.ctx.storage, this.retention, nowMs, totals.changeLogBytes, totals.searchQueued);
    }
    return outcome;
  }

  /** Lists one collection in id order after `afterId`, up to `limit` documents or SHARD_REPLY_BYTES_MAX of them. */
  list(collection: string, afterId: string | null, limit: number, epoch?: number): ShardListOutcome {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const excludeMoved = this.epochs.fanOutExcludingMoved(epoch);
    return listDocuments(this.ctx.storage.sql, collection, afterId, limit, undefined, excludeMoved);
  }

  /** The shard's statistics, with its approximate recent request rate and its document cache's. */
  stats(): ShardStatistics {
    assertNotErased(this.erased);
    const stored = statistics(this.ctx.storage.sql, appliedMigrationCount(this.ctx.storage.sql));
    return { ...stored, requestsPerSecond: this.requests.perSecond(Date.now()), documentCache: this.cache?.stats() ?? null };
  }

  /**
   * Drops the cached copies of documents about to be written. Before the
   * write, not after: a write that throws part-way has changed nothing (its
   * transaction rolls back), and one that succeeds must not leave the old
   * copy for a moment in between.
   */
  private forget(refs: ReadonlyArray<{ collection: string; id: string }>): void {
    if (this.cache === null) return;
    for (const ref of refs) this.cache.invalidate(ref.collection, ref.id);
  }

  /**
   * Up to `limit` of the shard's collections after `afterName`, with
   * document counts. Blocked while a transaction holds write intents in a
   * collection of the page's name range: its writes are counted only when
   * applied, and a listing right after an acknowledged commit (answered
   * before every shard applied it: parallel commit) must count them.
   */
  collections(afterName: string | null, limit: number, epoch?: number): ShardCollectionsPage | Blocked {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    // A source releasing its moved rows lists what it still owns.
    const excludeMoved = this.epochs.fanOutExcludingMoved(epoch);
    const sql = this.ctx.storage.sql;
    const page = listShardCollections(sql, afterName, limit, excludeMoved);
    const holders = writeIntentHoldersInCollectionRange(sql, afterName, page.hasMore ? page.collections[page.collections.length - 1]!.name : null);
    return holders.length > 0 ? { ok: false, kind: "aborted", message: "collections are locked by transactions in progress", blockedBy: holders } : page;
  }

  /** Deletes up to `limit` documents of `collection`; Blocked under transaction locks. */
  async deleteCollection(collection: string, limit: number, epoch?: number): Promise<ShardDeleteStep> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    // A source releasing its moved rows deletes only those it still owns.
    const excludeMoved = this.epochs.fanOutExcludingMoved(epoch);
    this.cache?.invalidateCollection(collection);
    const step = deleteCollectionStep(this.ctx.storage, collection, limit, Date.now(), excludeMoved);
    if (step.ok && step.deleted > 0) {
      const indexed = this.maintainSearch();
      this.changeWaiters.wake();
      await this.scheduleCompaction(indexed);
    }
    return step;
  }

  /**
   * Two-phase commit, phase one: validate, plan and lock; vote. `shard` is
   * this shard's name in the routing table (kept with the prepare, so its
   * alarm names itself to the coordinator: participant.ts `prepare`).
   */
  async txPrepare(request: ParticipantRequest, shard?: string): Promise<Vote> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.epochs.assertOwns([...request.reads, ...request.writes]);
    const vote = prepare(this.ctx.storage, request, Date.now(), shard);
    if (vote.vote === "yes") await scheduleRecovery(this.ctx.storage, this.retention);
    return vote;
  }

  /**
   * Two-phase commit, phase two: apply a committed transaction. Idempotent.
   * With `txFingerprint` (the committed commit's), a prepare here of another
   * commit of the id is dropped instead (participant.ts `idOwner`).
   */
  async txCommit(txId: string, commitTs: number, forgetAtMs: number, txFingerprint?: string): Promise<void> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.forget(locksOf(this.ctx.storage.sql, txId).filter((lock) => lock.mode === "write"));
    commit(this.ctx.storage, txId, commitTs, forgetAtMs, txFingerprint);
    this.lockWaiters.forgetTransaction(txId);
    this.maintainSearch();
    this.changeWaiters.wake();
    await scheduleRecovery(this.ctx.storage, this.retention);
  }

  /**
   * Two-phase commit, phase two: drop an aborted transaction's locks.
   * Idempotent. With `winner` (the fingerprint of the commit that has the
   * id), only a prepare of another commit of the id (participant.ts `abort`).
   */
  async txAbort(txId: string, forgetAtMs: number, winner?: string): Promise<void> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    abort(this.ctx.storage, txId, forgetAtMs, winner);
    // A waiter found aborted stops holding younger retries up at once.
    this.lockWaiters.forgetTransaction(txId);
    await scheduleRecovery(this.ctx.storage, this.retention);
  }

  /**
   * Parallel commit recovery: this shard's durable yes vote for `txId`'s
   * staged commit (whose fingerprint is `txFingerprint`), or its refusal
   * recorded now (sync/participant.ts, prepareStatusOrRefuse).
   */
  async txPrepareStatusOrRefuse(txId: string, forgetAtMs: number, txFingerprint?: string): Promise<RecoveryStatus> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const status = prepareStatusOrRefuse(this.ctx.storage, txId, forgetAtMs, txFingerprint);
    if (status.status === "refused") {
      this.lockWaiters.forgetTransaction(txId);
      await scheduleRecovery(this.ctx.storage, this.retention);
    }
    return status;
  }

  /** Commits a transaction that touches only this shard, in one step. */
  /**
   * The answer this shard recorded for `txId`'s commit of whole-transaction
   * fingerprint `txFingerprint`, or null (sync/participant.ts
   * `recordedVote`). Asked, whatever the routing epoch, by a Commit sent
   * again after a resharding moved that commit's documents to another shard.
   */
  async txRecordedVote(txId: string, txFingerprint: string): Promise<Vote | null> {
    assertNotErased(this.erased);
    return recordedVote(this.ctx.storage.sql, txId, txFingerprint);
  }

  async txCommitOnePhase(request: ParticipantRequest): Promise<Vote> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.epochs.assertOwns([...request.reads, ...request.writes]);
    this.forget(request.writes);
    const vote = commitOnePhase(this.ctx.storage, request, Date.now());
    if (vote.vote === "yes") {
      this.maintainSearch();
      this.changeWaiters.wake();
    }
    await scheduleRecovery(this.ctx.storage, this.retention);
    return vote;
  }

  /**
   * Erases this shard (its database is being deleted) and leaves a
   * tombstone; idempotent. Feed calls waiting for a change are woken, so
   * they answer now and their next call is refused.
   */
  async eraseDatabase(): Promise<void> {
    this.cache?.clear();
    // Marked first: a step of this object awaiting I/O (an alarm) sees the
    // mark when it resumes, instead of tables being dropped under it.
    this.erased = true;
    await eraseDatabase(this.ctx.storage);
    this.changeWaiters.wake();
  }

  /** Resolves prepared transactions past their deadline, forgets finished ones, and trims old versions. */
  override async alarm(): Promise<void> {
    if (this.erased) return;
    // One bounded step of merging a text index at rest into one segment
    // (search/compaction.ts); resolveOverdue sets the next alarm, now again
    // while the step left work. A step that fails must not hold up the
    // recovery below: its index is left as it is until it changes again.
    const sql = this.ctx.storage.sql;
    try {
      this.ctx.storage.transactionSync(() => compactionStep(sql, Date.now()));
    } catch (err) {
      console.error(JSON.stringify({ event: "search_compaction_failed", error: String(err) }));
      this.ctx.storage.transactionSync(() => skipCompaction(sql, Date.now()));
    }
    // Recovery may commit transactions whose documents are not known here.
    this.cache?.clear();
    try {
      await resolveOverdue(this.ctx.storage, this.env, Date.now(), this.retention);
    } catch (err) {
      // DeleteDatabase erased this shard while recovery awaited a coordinator: nothing is left to recover.
      if (this.erased) return;
      throw err;
    }
    // Recovery may have applied committed transactions.
    const indexed = this.maintainSearch();
    this.changeWaiters.wake();
    await this.scheduleCompaction(indexed);
  }

  /**
   * The change log's head (the last position given), for the first round
   * of a listener's snapshot (see src/watch/README.md).
   */
  changeHead(epoch?: number): number {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    // Served by a source releasing its moved rows too: see `changes`.
    this.epochs.fanOutExcludingMoved(epoch);
    return changeLogBounds(this.ctx.storage.sql).head;
  }

  /**
   * A listener's snapshot of this shard: the matching documents, with the
   * change-log head and the clock they are consistent with (read in one
   * synchronous step). Blocked, like a query, under write intents in the
   * collection.
   */
  listenSnapshot(req: ShardQueryRequest, epoch?: number): ShardListenSnapshot | Blocked {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    // A source releasing its moved rows leaves them out, as queries do.
    const excludeMoved = this.epochs.fanOutExcludingMoved(epoch);
    return listenSnapshot(this.ctx.storage.sql, req, excludeMoved);
  }

  /** The changes of `collection` at positions in (afterSeq, throughSeq], a page at a time (see watch/shard-feed.ts). */
  changesWindow(collection: string, afterSeq: number, throughSeq: number, epoch?: number): ShardWindow | Failure {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    // Served by a source releasing its moved rows too: see `changes`.
    this.epochs.fanOutExcludingMoved(epoch);
    return readWindow(this.ctx.storage.sql, collection, afterSeq, throughSeq);
  }

  /**
   * The changes of a collection (or of one document) after position
   * `afterSeq`; when there are none, waits up to `waitMs` for one. OUT_OF_RANGE
   * when the log no longer holds every change after `afterSeq`.
   */
  async changes(collection: string, id: string | null, afterSeq: number, waitMs: number, epoch?: number): Promise<ShardChanges | Failure> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    // A source releasing its moved rows after a cutover serves listeners
    // routed by the new table: every position of its log such a listener
    // reads is after the fence (its head was read at the new epoch, which
    // was published after the fence), and from the fence on no write to a
    // moved key lands here, while the release deletes them unlogged
    // (routing/reshard-shard.ts releasePage). A feed routed by the old
    // table is refused as moved (the fence moved the epoch).
    this.epochs.fanOutExcludingMoved(epoch);
    return readFeed(this.ctx.storage.sql, this.changeWaiters, this.feedCache, {
      collection,
      id,
      afterSeq,
      waitMs,
      retentionMs: this.retention.retentionMs,
      // A waiting call woken by the erase answers as every later call does;
      // one woken by a resharding's fence answers "moved" at once (the Worker
      // routes its listener again), not when its wait runs out.
      assertLive: () => {
        assertNotErased(this.erased);
        this.epochs.fanOutExcludingMoved(epoch);
      },
    });
  }

  /**
   * Runs one page of a query on this shard. Blocked while a transaction
   * holds write intents in the collection, so a query never sees half of a
   * transaction.
   */
  query(req: ShardQueryRequest, epoch?: number): ShardQueryResult | Blocked {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const excludeMoved = this.epochs.fanOutExcludingMoved(epoch);
    return blockedByWriteIntents(this.ctx.storage.sql, req.collection) ?? runShardQuery(this.ctx.storage.sql, req, excludeMoved);
  }

  /**
   * Runs one page of a geo search (near or within, no text) on this shard
   * (search/shard-geo.ts); Blocked like query. In a transaction: it first
   * indexes any queued document of the collection.
   */
  geoSearch(req: ShardGeoRequest, epoch?: number): ShardGeoResult | Blocked {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const excludeMoved = this.searchExcludingMoved(req.collection, epoch);
    const sql = this.ctx.storage.sql;
    return blockedByWriteIntents(sql, req.collection) ?? this.ctx.storage.transactionSync(() => runShardGeoSearch(sql, { ...req, excludeMoved }));
  }

  /** Computes this shard's partial aggregates; Blocked like query. */
  aggregate(req: ShardAggregationRequest, epoch?: number): ShardAggregationResult | Blocked {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const excludeMoved = this.epochs.fanOutExcludingMoved(epoch);
    return blockedByWriteIntents(this.ctx.storage.sql, req.collection) ?? runShardAggregation(this.ctx.storage.sql, req, excludeMoved);
  }

  /** Creates (and backfills) a secondary index; idempotent. */
  createIndex(spec: IndexSpec): void {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.ctx.storage.transactionSync(() => createIndex(this.ctx.storage.sql, spec));
  }

  /** Drops a secondary index; true when it existed. */
  dropIndex(collection: string, id: string): boolean {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    return this.ctx.storage.transactionSync(() => dropIndex(this.ctx.storage.sql, collection, id));
  }

  /** The secondary indexes of a collection on this shard. */
  listIndexes(collection: string | null): IndexSpec[] {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    return listIndexes(this.ctx.storage.sql, collection);
  }

  /** Creates (or continues creating) the collection's search index; ALREADY_EXISTS for another definition. */
  async createSearchIndex(spec: SearchIndexSpec): Promise<SearchIndexStep> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const step = this.ctx.storage.transactionSync(() => createShardSearchIndex(this.ctx.storage.sql, spec));
    // The backfill's segments are compacted once the index is at rest (search/compaction.ts).
    await scheduleRecovery(this.ctx.storage, this.retention);
    return step;
  }

  /** One backfill step of the collection's search index. */
  async backfillSearchIndex(collection: string): Promise<SearchIndexStep> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const step = this.ctx.storage.transactionSync(() => backfillShardSearchIndex(this.ctx.storage.sql, collection));
    await scheduleRecovery(this.ctx.storage, this.retention);
    return step;
  }

  /** Drops the collection's search index; true when it existed. */
  dropSearchIndex(collection: string): boolean {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    this.vocabulary.forget(collection);
    return this.ctx.storage.transactionSync(() => dropShardSearchIndex(this.ctx.storage.sql, collection));
  }

  /** A search's statistics pass on this shard (search/shard-search.ts); Blocked like query. */
  searchStats(req: ShardSearchStatsRequest, epoch?: number): ShardSearchStats | Blocked {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const excludeMoved = this.searchExcludingMoved(req.collection, epoch);
    const sql = this.ctx.storage.sql;
    this.reads.sync(sql);
    return this.searchBlocked(req.collection) ?? runSearchStats(sql, { ...req, excludeMoved }, this.vocabulary, this.writeAtomically, this.reads);
  }

  /** A search's scoring pass on this shard: one scored page (search/shard-search.ts); Blocked like query. */
  search(req: ShardSearchRequest, epoch?: number): ShardSearchResult | Blocked {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    const excludeMoved = this.searchExcludingMoved(req.collection, epoch);
    const sql = this.ctx.storage.sql;
    this.reads.sync(sql);
    return this.searchBlocked(req.collection) ?? runShardSearch(sql, { ...req, excludeMoved }, this.writeAtomically, this.reads);
  }

  /**
   * blockedByWriteIntents for a search pass, kept while the database is
   * unchanged (storage/unchanged-reads.ts: write intents are rows, so
   * none can appear without the change counter moving). `reads` is synced.
   */
  private searchBlocked(collection: string): Blocked | null {
    return this.reads.get(`write-intents\u0000${collection}`, () => blockedByWriteIntents(this.ctx.storage.sql, collection));
  }

  /**
   * How the search passes write (indexing queued documents): in a
   * transaction, rolled back on a throw. The passes take one only when they
   * write, as queries take none: committing a transaction holds the
   * object's reply until the commit is durable (the output gate), even one
   * that wrote nothing, and most searches find nothing queued.
   */
  private readonly writeAtomically = <T>(write: () => T): T => {
    try {
      return this.ctx.storage.transactionSync(write);
    } finally {
      // A pass's writes may create a table (the instance table), which the change counter does not see.
      this.reads.forget();
    }
  };

  /**
   * For the search passes: like fanOutExcludingMoved, a source releasing its
   * moved rows serves a search routed by the new table, leaving them out
   * (readable-stats.ts ReadableScope: every statistic, candidate and hit
   * over the rows it still owns, as if the moved ones were gone). That
   * reads every indexed document of the collection here once per pass, so
   * past SEARCH_RULE_BOUND_INDEX_DOCUMENTS_MAX of them the shard refuses as
   * moved, as before, and the Worker waits for the release.
   */
  private searchExcludingMoved(collection: string, epoch: number | undefined): boolean {
    const excludeMoved = this.epochs.fanOutExcludingMoved(epoch);
    if (excludeMoved) {
      const sql = this.ctx.storage.sql;
      if (ruleBoundRefusal(sql, collection) !== null || geoRuleBoundRefusal(sql, collection) !== null) this.epochs.assertEpoch(epoch);
    }
    return excludeMoved;
  }

  /** The search indexes on this shard, with their state here. */
  listSearchIndexes(): Array<{ spec: SearchIndexSpec; state: SearchShardState; compacted: boolean }> {
    assertNotErased(this.erased);
    this.requests.record(Date.now());
    return listSearchIndexes(this.ctx.storage.sql);
  }

  /**
   * Indexes documents the search triggers queued (search/search-maintenance.ts),
   * a bounded number per call; a search indexes the rest of its collection
   * first. Called after every write path, with no await in between, so it
   * commits with the write.
   */
  private maintainSearch(): boolean {
    return this.ctx.storage.transactionSync(() => maintainSearch(this.ctx.storage.sql, SEARCH_MAINTENANCE_ROWS_PER_CALL_MAX)).indexed > 0;
  }

  /**
   * After a path whose maintenance indexed documents (`indexed`), sets the
   * alarm for when the text index will be at rest (search/compaction.ts):
   * a shard that only receives a resharding's copies has no other need
   * for an alarm, and its index was never compacted.
   */
  private async scheduleCompaction(indexed: boolean): Promise<void> {
    if (indexed) await scheduleRecovery(this.ctx.storage, this.retention);
  }

  // Resharding steps, called only by the shard manager (routing/resharding-driver.ts).

  /** Stamps this shard as `shardId` serving `table` (idempotent). */
  reshardStamp(shardId: string, table: RoutingTable): ShardEpoch {
    assertNotErased(this.erased);
    return this.resharding.stamp(shardId, table);
  }

  /** One page of the documents that move under `target`, after `after`: at most `bytesMax` bytes, `rowsMax` moving rows, `scanMax` rows looked at (the last two default to the routing limits). */
  reshardExport(target: RoutingTable, after: RowCursor | null, bytesMax: number, fresh: boolean, rowsMax?: number, scanMax?: number): ExportPage {
    assertNotErased(this.erased);
    return this.resharding.exportPage(target, after, bytesMax, fresh, rowsMax, scanMax);
  }

  /** The current rows of moving documents changed after log position `afterSeq`. */
  reshardChanges(target: RoutingTable, afterSeq: number, rowsMax: number): ChangedSince {
    assertNotErased(this.erased);
    return this.resharding.changedSince(target, afterSeq, rowsMax);
  }

  /** One step of the checksum point before the fence: a catch-up read and, when it reached the log's head, the next page of moving keys' checksums. */
  reshardChecksum(target: RoutingTable, afterSeq: number, rowsMax: number, progress: ChecksumProgress | null, keysMax: number): ChecksumPoint {
    assertNotErased(this.erased);
    return this.resharding.checksumPoint(target, afterSeq, rowsMax, progress, keysMax);
  }

  /** One step of checking this target's running checksum of its copies against the copies themselves (`rowsMax` copies a step). */
  reshardVerify(direct: boolean, progress: VerifyProgress | null, rowsMax: number): VerifyStep {
    assertNotErased(this.erased);
    return this.resharding.verifyReceived(direct, progress, rowsMax);
  }

  /** Stores copied rows (into documents when `direct`, else staged). */
  async reshardStage(changes: ReadonlyArray<Omit<MovingChange, "target">>, direct: boolean): Promise<void> {
    assertNotErased(this.erased);
    this.cache?.clear();
    this.resharding.stage(changes, direct);
    await this.scheduleCompaction(this.maintainSearch());
  }

  /** Fences this source for the cutover to `target`; with the moving rows changed after `appliedSeq`, and `base` (the checksums before the fence) adjusted to it. */
  reshardFence(target: RoutingTable, appliedSeq: number, rowsMax: number, base: ChecksumBase | null): FenceOutcome {
    assertNotErased(this.erased);
    const outcome = this.resharding.fence(target, appliedSeq, rowsMax, base);
    // Listeners waiting on this shard answer now; their next call is routed again.
    this.changeWaiters.wake();
    return outcome;
  }

  /** Stores the last drained rows, checks the copies' checksums, promotes staged rows and takes `target` (one transaction). */
  async reshardPromote(target: RoutingTable, request: PromoteRequest): Promise<PromoteOutcome> {
    assertNotErased(this.erased);
    this.cache?.clear();
    const outcome = this.resharding.promote(target, request);
    await this.scheduleCompaction(this.maintainSearch());
    return outcome;
  }

  /** Deletes a page of rows this shard no longer owns; opens queries when done. */
  async reshardRelease(): Promise<{ done: boolean; removed: number }> {
    assertNotErased(this.erased);
    this.cache?.clear();
    const outcome = this.resharding.release();
    await this.scheduleCompaction(this.maintainSearch());
    return outcome;
  }

  /** Drops a cancelled resharding's copies. */
  async reshardDiscard(direct: boolean): Promise<void> {
    assertNotErased(this.erased);
    this.cache?.clear();
    this.resharding.discard(direct);
    await this.scheduleCompaction(this.maintainSearch());
  }
}

// Routine re-routing and a deleted database's refusal are answers, not
// exceptions: they leave these methods as values (rpc-refusals.ts), and
// the callers' shard stub throws them again on its side.
answerRefusalsAsValues(StorageObject.prototype, SHARD_RPC_METHODS);
