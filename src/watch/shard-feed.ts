/**
 * A shard's side of a listener: the snapshot a listener starts from, and
 * the feed of changes after a position, held open until a change arrives
 * (a long poll over Workers RPC). The design and its invariants are in
 * src/watch/README.md.
 */
import { failure, type Failure } from "../errors.js";
import { FEED_CACHE_PAGES_MAX, LISTEN_FEED_ROWS_MAX } from "../limits.js";
import { blockedByWriteIntents } from "../storage/document-store.js";
import type { Blocked } from "../storage/types.js";
import { runShardQuery, type ShardQueryRequest, type ShardSql } from "../query/shard-query.js";
import { clockState } from "../sync/snapshot-store.js";
import { changeLogBounds, readChanges } from "./change-log.js";
import type { ChangeRow, ShardChanges, ShardListenSnapshot, ShardWindow } from "./feed-types.js";

export type { ShardChanges, ShardListenSnapshot, ShardWindow } from "./feed-types.js";

/** Takes a listener's snapshot of one shard, in one synchronous step; Blocked under write intents in the collection. */
export function listenSnapshot(sql: SqlStorage, req: ShardQueryRequest, excludeMoved = false): ShardListenSnapshot | Blocked {
  const blocked = blockedByWriteIntents(sql, req.collection);
  if (blocked !== null) return blocked;
  const result = runShardQuery(sql as unknown as ShardSql, req, excludeMoved);
  if (!result.ok) return { ok: false, kind: result.kind === "resource_exhausted" ? "resource_exhausted" : "invalid_argument", message: result.message };
  return { ok: true, documents: result.documents, hasMore: result.hasMore, head: changeLogBounds(sql).head, clockTs: clockState(sql).lastTs };
}

/**
 * Feed calls waiting for the next write on a shard. A write wakes them all;
 * each then reads the log again. Bounded: past `waitersMax` a call does not
 * wait (it returns at once and the listener asks again later).
 */
export class ChangeWaiters {
  private readonly waiting = new Set<() => void>();

  constructor(private readonly waitersMax: number) {}

  /** Resolves when the next write is stored or after `timeoutMs`, whichever is first. */
  next(timeoutMs: number): Promise<void> {
    if (this.waiting.size >= this.waitersMax || timeoutMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiting.add(done);
    });
  }

  /** Wakes every waiting call; called after each stored write. */
  wake(): void {
    if (this.waiting.size === 0) return;
    for (const done of [...this.waiting]) done();
  }
}

/**
 * Pages of the log already read at the current head, shared by the feed
 * calls a write wakes: listeners of one collection that are caught up all
 * ask for the rows after the same position, so the rows are read once per
 * write instead of once per listener. Cleared when the head moves; at most
 * FEED_CACHE_PAGES_MAX pages.
 */
export class FeedReadCache {
  private head = -1;
  private readonly pages = new Map<string, { rows: ChangeRow[]; complete: boolean }>();

  /** readChanges through the cache. */
  read(sql: SqlStorage, collection: string, id: string | null, afterSeq: number, head: number): { rows: ChangeRow[]; complete: boolean } {
    if (head !== this.head) {
      this.pages.clear();
      this.head = head;
    }
    const key = JSON.stringify([collection, id, afterSeq]);
    let page = this.pages.get(key);
    if (page === undefined) {
      page = readChanges(sql, collection, id, afterSeq, head, LISTEN_FEED_ROWS_MAX);
      if (this.pages.size < FEED_CACHE_PAGES_MAX) this.pages.set(key, page);
    }
    return page;
  }
}

/** What a feed call asks for. */
export interface FeedRequest {
  readonly collection: string;
  /** One document's changes only; null for the whole collection. */
  readonly id: string | null;
  /** Changes strictly after this position. */
  readonly afterSeq: number;
  /** How long to wait for a change when there is none yet, in ms. */
  readonly waitMs: number;
  /** The log's retention, for the OUT_OF_RANGE message. */
  readonly retentionMs: number;
  /**
   * Checked each time the call wakes: throws once the shard was erased
   * (its database deleted) while the call waited, whose tables are gone.
   */
  readonly assertLive?: () => void;
}

/**
 * The changes of `collection` at positions in (afterSeq, throughSeq], a
 * page at a time (`complete` false when more remain after the last row):
 * what a listener's snapshot reads between its two rounds.
 */
export function readWindow(sql: SqlStorage, collection: string, afterSeq: number, throughSeq: number): ShardWindow | Failure {
  if (afterSeq < changeLogBounds(sql).trimmedThrough) {
    return failure("out_of_range", "the change log no longer holds every change after the listener's position (it was trimmed); listen again without a resume token");
  }
  return { ok: true, ...readChanges(sql, collection, null, afterSeq, throughSeq, LISTEN_FEED_ROWS_MAX) };
}

/**
 * Reads the feed after `afterSeq`, waiting up to `waitMs` when nothing is
 * there yet. OUT_OF_RANGE when changes after `afterSeq` have been trimmed
 * (or the position is ahead of the log, as after the shard's data was
 * deleted).
 */
export async function readFeed(sql: SqlStorage, waiters: ChangeWaiters, cache: FeedReadCache, req: FeedRequest): Promise<ShardChanges | Failure> {
  const deadlineMs = Date.now() + req.waitMs;
  for (;;) {
    req.assertLive?.();
    const bounds = changeLogBounds(sql);
    if (req.afterSeq < bounds.trimmedThrough) {
      const hours = Math.round((req.retentionMs / 3600_000) * 10) / 10;
      return failure(
        "out_of_range",
        `the resume token is older than the change log's retention (${hours} hours, or its size limit): changes after it were trimmed; listen again without a resume token to start from a fresh snapshot`,
      );
    }
    if (req.afterSeq > bounds.head) {
      return failure("out_of_range", "the resume token is ahead of this database's change log (was the database deleted and created again?); listen again without a resume token");
    }
    const { rows, complete } = cache.read(sql, req.collection, req.id, req.afterSeq, bounds.head);
    const position = complete ? bounds.head : rows[rows.length - 1]!.seq;
    const remainingMs = deadlineMs - Date.now();
    if (rows.length > 0 || remainingMs <= 0) return { ok: true, rows, position };
    await waiters.next(remainingMs);
  }
}
