/**
 * A listener, as the Worker runs it: a consistent snapshot of the target
 * across shards, then the shards' change feeds merged into whole commits
 * (change-merger.ts), turned into added / modified / removed changes
 * (listen-view.ts), with resume tokens at every exact point. The design,
 * its invariants and their proofs are in src/watch/README.md.
 *
 * The shards are reached through `ListenShards`, so the whole flow runs in
 * Node tests against fake shards as well as in workerd against real ones.
 */
import { FailureError, type Failure } from "../errors.js";
import { createHeartbeat, HEARTBEAT_DUE } from "./heartbeat.js";
import { LISTEN_CHANGES_PER_MESSAGE_MAX, LISTEN_MATCHED_DOCUMENTS_MAX, LISTEN_PENDING_ROWS_MAX, LISTEN_POLL_WAIT_MS, QUERY_ROWS_READ_MAX, SHARD_REPLY_BYTES_MAX } from "../limits.js";
import { ID_FIELD, type Expr } from "../query/expression.js";
import type { ShardQueryRequest } from "../query/shard-query.js";
import type { StoredDocument } from "../storage/types.js";
import type { ChangeRow, ShardChanges, ShardListenSnapshot, ShardWindow } from "./feed-types.js";
import { ChangeMerger, type FeedChange } from "./change-merger.js";
import { DecodedChanges } from "./decoded-changes.js";
import { createView, MatchingSet, type ListenTarget, type ViewChange } from "./listen-view.js";

/** The shards of a listener, however they are reached. Errors are thrown as FailureError. */
export interface ListenShards {
  /** Names the shards' namespace (the database), so caches keyed by shard and position never mix two. */
  readonly scope: string;
  readonly shards: readonly string[];
  readonly routingVersion: number;
  shardFor(collection: string, id: string): string;
  head(shard: string): Promise<number>;
  /** The shard's snapshot, once no write intent blocks it. */
  snapshot(shard: string, req: ShardQueryRequest): Promise<ShardListenSnapshot>;
  window(shard: string, collection: string, afterSeq: number, throughSeq: number): Promise<ShardWindow | Failure>;
  changes(shard: string, collection: string, id: string | null, afterSeq: number, waitMs: number): Promise<ShardChanges | Failure>;
}

/** One message of a listener's stream. */
export interface ListenMessage {
  readonly changes: readonly ViewChange[];
  /** True on the message that ends the initial snapshot (or, on resume, confirms the stream caught up to its token). */
  readonly current: boolean;
  /** Positions per shard through which everything is delivered; null when this message is not an exact point. */
  readonly positions: ReadonlyMap<string, number> | null;
}

/** Where a listener resumes: the positions of a resume token. */
export type ResumePoint = ReadonlyMap<string, number>;

/** Options of a listener. */
export interface ListenOptions {
  /** Stops the listener (the client went away). */
  readonly signal: AbortSignal;
  /** How long a shard holds a feed call open; LISTEN_POLL_WAIT_MS by default. */
  readonly pollWaitMs?: number;
}

/** This isolate's decoded changes, shared by its listeners (decoded-changes.ts). */
const decoded = new DecodedChanges();

/**
 * Converts a change-log row of `shard` to a feed change, once per isolate
 * (see decoded-changes.ts); `standalone` drops the group (one document's
 * listener reads one shard).
 */
export function feedChangeOf(shards: Pick<ListenShards, "scope">, shard: string, row: ChangeRow, standalone: boolean): FeedChange {
  const size = (row.data?.length ?? 0) + (row.before_data?.length ?? 0);
  // The commit timestamp and id guard against a log that started over
  // (a database deleted and created again) reusing positions.
  const key = `${shards.scope}\u0000${shard}\u0000${row.seq}\u0000${row.commit_ts}\u0000${row.id}`;
  const change = decoded.get(key, size, () => convert(row));
  return standalone && change.groupShards !== null ? { ...change, groupShards: null } : change;
}

function convert(row: ChangeRow): FeedChange {
  return {
    seq: row.seq,
    collection: row.collection,
    id: row.id,
    op: row.op,
    data: row.data,
    version: row.version,
    createTimeMs: row.create_time_ms,
    beforeData: row.before_data,
    beforeVersion: row.before_version,
    beforeCreateTimeMs: row.before_create_time_ms,
    beforeUpdateTimeMs: row.before_update_time_ms,
    commitTs: row.commit_ts,
    txId: row.tx_id,
    groupShards: row.group_shards === null ? null : (JSON.parse(row.group_shards) as string[]),
  };
}

/** The shards a target reads. */
export function targetShards(shards: ListenShards, target: ListenTarget): string[] {
  return target.kind === "document" ? [shards.shardFor(target.collection, target.id)] : [...shards.shards];
}

/** Runs a listener: its snapshot (or, with `resume`, nothing before its position), then its changes, until `signal` aborts. */
export async function* listen(shards: ListenShards, target: ListenTarget, resume: ResumePoint | null, options: ListenOptions): AsyncGenerator<ListenMessage> {
  const watched = targetShards(shards, target);
  const standalone = target.kind === "document";
  let start: { matching: MatchingSet; positions: Map<string, number> };
  if (resume === null) {
    start = await consistentSnapshot(shards, target, watched);
    const window = start.matching.window();
    for (let i = 0; i < window.length; i += LISTEN_CHANGES_PER_MESSAGE_MAX) {
      const chunk = window.slice(i, i + LISTEN_CHANGES_PER_MESSAGE_MAX).map((document): ViewChange => ({ type: "added", document, txId: null }));
      if (i + LISTEN_CHANGES_PER_MESSAGE_MAX < window.length) yield { changes: chunk, current: false, positions: null };
      else yield { changes: chunk, current: true, positions: start.positions };
    }
    if (window.length === 0) yield { changes: [], current: true, positions: start.positions };
  } else {
    for (const shard of watched) if (!resume.has(shard)) throw new FailureError("invalid_argument", "resume_token does not match this listener's shards; listen again without it");
    const positions = new Map(watched.map((shard) => [shard, resume.get(shard)!]));
    const matching = target.kind === "query" && target.limit !== null ? await matchingAt(shards, target, positions) : new MatchingSet(target, []);
    start = { matching, positions };
    yield { changes: [], current: true, positions };
  }
  const view = createView(target, start.matching);
  const merger = new ChangeMerger(start.positions);
  // Without a limit the view keeps no state: let the snapshot's documents go.
  start = { matching: new MatchingSet(target, []), positions: start.positions };
  const waitMs = options.pollWaitMs ?? LISTEN_POLL_WAIT_MS;
  const inflight = new Map<string, Promise<{ shard: string; page: ShardChanges | Failure }>>();
  const aborted = new Promise<null>((resolve) => {
    if (options.signal.aborted) resolve(null);
    options.signal.addEventListener("abort", () => resolve(null), { once: true });
  });
  let lastPositions = encodeKey(start.positions);
  let lastSentMs = Date.now();
  // A caller a read rule binds gets a checkpoint without changes only as a
  // heartbeat: one sent as soon as the positions move would tell it when
  // documents it may not read changed (a listener of one hidden document
  // would hear every write to it). Its heartbeats keep a fixed schedule
  // from the stream's start (heartbeat.ts), never the feed calls' timing:
  // a feed call returns early on any write to the shard, hidden ones too,
  // so "a poll's wait after the last return" fell a poll's wait after each
  // hidden write.
  const ruleBound = target.rule !== null && target.rule !== undefined;
  const heartbeat = ruleBound ? createHeartbeat(waitMs) : null;
  try {
    while (!options.signal.aborted) {
      if (merger.buffered > LISTEN_PENDING_ROWS_MAX) {
        throw new FailureError("resource_exhausted", `the listener buffered over LISTEN_PENDING_ROWS_MAX (${LISTEN_PENDING_ROWS_MAX}) changes waiting for the rest of transactions; resume with the last resume_token`);
      }
      for (const shard of watched) {
        if (inflight.has(shard)) continue;
        const after = merger.receivedThrough(shard);
        const id = target.kind === "document" ? target.id : null;
        const call = shards.changes(shard, target.collection, id, after, waitMs).then((page) => ({ shard, page }));
        // The race below sees a failure; once the listener has ended, the
        // calls still open must not fail unhandled.
        call.catch(() => {});
        inflight.set(shard, call);
      }
      const next = await Promise.race([aborted, ...(heartbeat === null ? [] : [heartbeat.due()]), ...inflight.values()]);
      if (next === null) return;
      if (next === HEARTBEAT_DUE) {
        heartbeat!.sent();
        // Exact positions when the merger has them; otherwise none (no resume token), as for a chunk.
        const positions = merger.positions();
        if (positions !== null) lastPositions = encodeKey(positions);
        yield { changes: [], current: false, positions };
        continue;
      }
      inflight.delete(next.shard);
      if (!next.page.ok) throw new FailureError(next.page.kind, next.page.message);
      merger.push(next.shard, next.page.rows.map((r) => feedChangeOf(shards, next.shard, r, standalone)), next.page.position);
      const changes: ViewChange[] = [];
      for (const unit of merger.drain()) {
        const seen = view.apply(unit);
        if (changes.length > 0 && changes.length + seen.length > LISTEN_CHANGES_PER_MESSAGE_MAX) {
          yield { changes: changes.splice(0), current: false, positions: null };
        }
        changes.push(...seen);
      }
      const positions = merger.positions();
      const key = positions === null ? null : encodeKey(positions);
      // A checkpoint without changes when the positions moved, or when the
      // stream has been quiet for a poll's wait (a heartbeat, so a client and
      // any proxy can tell a quiet stream from a dead connection); at most
      // one per returned feed call.
      const quiet = Date.now() - lastSentMs >= waitMs;
      if (changes.length > 0 || (!ruleBound && key !== null && (key !== lastPositions || quiet))) {
        if (key !== null) lastPositions = key;
        lastSentMs = Date.now();
        yield { changes, current: false, positions };
      }
    }
  } finally {
    heartbeat?.stop();
  }
}

function encodeKey(positions: ReadonlyMap<string, number>): string {
  return [...positions].map(([s, p]) => `${s}=${p}`).join(",");
}

/**
 * The request a target's snapshot sends each shard: every match, never more
 * than LISTEN_MATCHED_DOCUMENTS_MAX documents, nor (the shard's reply bound)
 * more than SHARD_REPLY_BYTES_MAX UTF-8 bytes of their JSON.
 */
function snapshotRequest(target: ListenTarget): ShardQueryRequest {
  const filter: Expr = target.kind === "document" ? { kind: "compare", path: [ID_FIELD], op: "==", value: target.id } : target.filter;
  return {
    collection: target.collection,
    filter,
    order: target.kind === "query" ? target.order : [],
    after: null,
    limit: LISTEN_MATCHED_DOCUMENTS_MAX,
    rowsReadMax: QUERY_ROWS_READ_MAX,
    explain: false,
    rule: target.rule ?? null,
  };
}

function tooMany(): FailureError {
  return new FailureError(
    "resource_exhausted",
    `the listener's query matches more documents than a listener can hold (LISTEN_MATCHED_DOCUMENTS_MAX ${LISTEN_MATCHED_DOCUMENTS_MAX} documents, or SHARD_REPLY_BYTES_MAX ${SHARD_REPLY_BYTES_MAX} bytes of document JSON on one shard): narrow the filter`,
  );
}

async function takeSnapshots(shards: ListenShards, target: ListenTarget, watched: readonly string[]) {
  const req = snapshotRequest(target);
  return Promise.all(
    watched.map(async (shard) => {
      const snap = await shards.snapshot(shard, req);
      if (!snap.ok) throw new FailureError(snap.kind, snap.message);
      if (snap.hasMore) throw tooMany();
      return { shard, ...snap };
    }),
  );
}

/** Reads every change of the collection on `shard` in (afterSeq, throughSeq], in seq order. */
async function readWindowAll(shards: ListenShards, shard: string, collection: string, afterSeq: number, throughSeq: number): Promise<ChangeRow[]> {
  const rows: ChangeRow[] = [];
  let after = afterSeq;
  for (;;) {
    const page = await shards.window(shard, collection, after, throughSeq);
    if (!page.ok) throw new FailureError(page.kind, page.message);
    rows.push(...page.rows);
    if (page.complete || page.rows.length === 0) return rows;
    after = page.rows[page.rows.length - 1]!.seq;
    if (rows.length > LISTEN_PENDING_ROWS_MAX) throw new FailureError("unavailable", "the collection changed too fast for a listener to take its snapshot; listen again");
  }
}

/**
 * A snapshot that never shows part of a transaction (README, "the
 * snapshot"): round one reads each shard's log head h1; round two each
 * shard's matches with its head h2 and clock c2. A transaction T with a
 * part inside one shard's snapshot and a part outside another's (t) has its
 * inside part in (h1, h2] and commit timestamp above c2(t); those parts are
 * then read from t's feed and folded in, transitively.
 */
async function consistentSnapshot(shards: ListenShards, target: ListenTarget, watched: readonly string[]) {
  const standalone = target.kind === "document";
  const h1 = new Map(await Promise.all(watched.map(async (shard) => [shard, await shards.head(shard)] as const)));
  const snaps = await takeSnapshots(shards, target, watched);
  const matching = new MatchingSet(target, snaps.flatMap((s) => s.documents));
  const positions = new Map(snaps.map((s) => [s.shard, s.head]));
  const clock = new Map(snaps.map((s) => [s.shard, s.clockTs]));
  if (standalone) return { matching, positions };
  // Parts that must be folded in, by shard, keyed by transaction key.
  const required = new Map<string, Set<string>>(watched.map((s) => [s, new Set<string>()]));
  const folded = new Map<string, Set<string>>(watched.map((s) => [s, new Set<string>()]));
  const requireOthers = (shard: string, c: FeedChange) => {
    if (c.txId === null || c.groupShards === null) return;
    for (const other of c.groupShards) {
      if (other === shard || !required.has(other)) continue;
      if (c.commitTs > clock.get(other)! && !folded.get(other)!.has(`tx:${c.txId}`)) required.get(other)!.add(`tx:${c.txId}`);
    }
  };
  for (const shard of watched) {
    const rows = await readWindowAll(shards, shard, target.collection, h1.get(shard)!, positions.get(shard)!);
    for (const row of rows) requireOthers(shard, feedChangeOf(shards, shard, row, false));
  }
  for (let rounds = 0; [...required.values()].some((r) => r.size > 0); rounds++) {
    if (rounds > LISTEN_PENDING_ROWS_MAX) throw new Error("invariant broken: a listener's snapshot folded without end");
    for (const [shard, wanted] of required) {
      if (wanted.size === 0) continue;
      const page = await shards.changes(shard, target.collection, null, positions.get(shard)!, LISTEN_POLL_WAIT_MS);
      if (!page.ok) throw new FailureError(page.kind, page.message);
      let lastKey: string | null = null;
      for (const row of page.rows) {
        const c = feedChangeOf(shards, shard, row, false);
        const key = c.txId === null ? null : `tx:${c.txId}`;
        // Stop at a part boundary once nothing more is wanted here.
        if (wanted.size === 0 && key !== lastKey) break;
        matching.apply(c);
        positions.set(shard, c.seq);
        if (key !== null) {
          folded.get(shard)!.add(key);
          wanted.delete(key);
          requireOthers(shard, c);
        }
        lastKey = key;
      }
    }
  }
  return { matching, positions };
}

/**
 * The matching set of a limit query at a resume token's positions: each
 * shard's current matches, with the changes after the positions undone
 * from their before images (newest first).
 */
async function matchingAt(shards: ListenShards, target: ListenTarget, positions: ReadonlyMap<string, number>): Promise<MatchingSet> {
  const snaps = await takeSnapshots(shards, target, [...positions.keys()]);
  const docs: StoredDocument[] = [];
  for (const snap of snaps) {
    const set = new MatchingSet(target, snap.documents);
    const rows = await readWindowAll(shards, snap.shard, target.collection, positions.get(snap.shard)!, snap.head);
    for (const row of rows.reverse()) set.apply(feedChangeOf(shards, snap.shard, row, true), "undo");
    docs.push(...set.all());
  }
  return new MatchingSet(target, docs);
}
