/**
 * Advances a live resharding one bounded stretch at a time. The shard
 * manager calls `advanceResharding` from its alarm; every step is
 * idempotent and the operation is saved after each, so a crash at any point
 * (the manager's or a shard's) is followed by the same step again. The
 * protocol and its invariants: src/routing/README.md, "Live resharding".
 */
import {
  RESHARD_CATCHUP_ROWS_MAX,
  RESHARD_CHECKSUM_KEYS_MAX,
  RESHARD_COPY_PAGE_BYTES_MAX,
  RESHARD_COPY_PAGE_ROWS_MAX,
  RESHARD_COPY_SCAN_ROWS_MAX,
  RESHARD_CUTOVER_LAG_ROWS_MAX,
  RESHARD_FENCE_PATIENCE_ROUNDS,
  RESHARD_FENCE_RETRY_MS,
  RESHARD_FENCE_WAIT_MS_MAX,
  RESHARD_SHARD_CONCURRENCY_MAX,
  RESHARD_VERIFY_ROWS_MAX,
} from "./limits.js";
import type {
  ChangedSince,
  ChecksumBase,
  ChecksumPoint,
  ChecksumProgress,
  ExportPage,
  FenceOutcome,
  MovingChange,
  PromoteOutcome,
  RangeChecksum,
  RowCursor,
  VerifyProgress,
  VerifyStep,
} from "./reshard-shard.js";
import type { PromoteRequest } from "./shard-resharding.js";
import { noteError, throttleOf, type ReshardingOperation, type SourceProgress, type TargetProgress } from "./resharding-plan.js";
import { moveTo, rest, save } from "./resharding-pacing.js";
import { prepare } from "./resharding-prepare.js";
import type { RoutingTable } from "./router.js";
import type { IndexSpec } from "../query/indexes.js";
import type { SearchIndexSpec } from "../search/catalog.js";

/** A shard's resharding surface, as the driver calls it (StorageObject's reshard* methods). */
export interface ReshardingShard {
  reshardStamp(shardId: string, table: RoutingTable): Promise<unknown>;
  reshardExport(target: RoutingTable, after: RowCursor | null, bytesMax: number, fresh: boolean, rowsMax?: number, scanMax?: number): Promise<ExportPage>;
  reshardChanges(target: RoutingTable, afterSeq: number, rowsMax: number): Promise<ChangedSince>;
  reshardChecksum(target: RoutingTable, afterSeq: number, rowsMax: number, progress: ChecksumProgress | null, keysMax: number): Promise<ChecksumPoint>;
  reshardVerify(direct: boolean, progress: VerifyProgress | null, rowsMax: number): Promise<VerifyStep>;
  reshardStage(changes: ReadonlyArray<Omit<MovingChange, "target">>, direct: boolean): Promise<void>;
  reshardFence(target: RoutingTable, appliedSeq: number, rowsMax: number, base: ChecksumBase | null): Promise<FenceOutcome>;
  reshardPromote(target: RoutingTable, request: PromoteRequest): Promise<PromoteOutcome>;
  reshardRelease(): Promise<{ done: boolean; removed: number }>;
  reshardDiscard(direct: boolean): Promise<void>;
  stats(): Promise<{ documentCount: number }>;
  listIndexes(collection: string | null): Promise<IndexSpec[]>;
  createIndex(spec: IndexSpec): Promise<void>;
  listSearchIndexes(): Promise<Array<{ spec: SearchIndexSpec }>>;
  createSearchIndex(spec: SearchIndexSpec): Promise<{ ok: boolean; message?: string }>;
}

/** Where a test may reset the shard manager mid-operation (crash injection). */
export type ReshardingFailpoint =
  | "after_stamp"
  | "after_prepare_target"
  | "after_copy_page"
  | "after_catch_up"
  | "after_checksum"
  | "after_first_fence"
  | "after_drain"
  | "after_first_promote"
  | "after_publish"
  | "after_release_page";

/** What the driver needs from the shard manager. */
export interface ReshardingIO {
  shard(id: string): ReshardingShard;
  /** Persists the operation (synchronously, in the manager's SQLite). */
  save(op: ReshardingOperation): void;
  /** Publishes `op.target` as the routing table, unless it already is. */
  publish(op: ReshardingOperation): void;
  nowMs(): number;
  /** Resets the manager when the test armed this point; a no-op otherwise. */
  failpoint(point: ReshardingFailpoint): void;
  sleep(ms: number): Promise<void>;
  /**
   * Settles transactions holding locks on a fenced source's moving keys
   * (sync/intent-resolver.ts settleForFence): decisions applied, quiet
   * ones aborted, and with `abortIfUndecided` every undecided one.
   */
  settleLocks(shard: string, txIds: readonly string[], abortIfUndecided: boolean): Promise<void>;
  /** Writes one structured log line (the cutover's step timings). */
  log(fields: Record<string, unknown>): void;
}

/**
 * Runs the operation until it is done or `deadlineMs` passes; returns true
 * when it needs another call. Errors from shards propagate: the caller
 * records them (`noteError`) and calls again later.
 */
export async function advanceResharding(op: ReshardingOperation, io: ReshardingIO, deadlineMs: number): Promise<boolean> {
  while (op.phase !== "DONE") {
    if (io.nowMs() >= deadlineMs) return true;
    const phase = op.phase;
    switch (phase) {
      case "PREPARING":
        await prepare(op, io, deadlineMs);
        break;
      case "COPYING":
        await forEachSource(op, (s) => !s.copyDone, (s) => copy(op, s, io, deadlineMs));
        if (op.phase === "COPYING" && op.sources.every((s) => s.copyDone)) moveTo(op, io, "CATCHING_UP");
        break;
      case "CATCHING_UP":
        await forEachSource(op, (s) => !s.caughtUp, (s) => catchUp(op, s, io, deadlineMs));
        if (op.phase === "CATCHING_UP" && op.sources.every((s) => s.caughtUp)) {
          if (!(await readyCutover(op, io, deadlineMs))) break;
          moveTo(op, io, "CUTTING_OVER");
        }
        break;
      case "CUTTING_OVER":
        if (!(await cutOver(op, io, deadlineMs))) return true;
        break;
      case "CLEANING_UP":
        await forEachSource(op, (s) => !s.released, (s) => release(op, s, io, deadlineMs));
        if (op.sources.every((s) => s.released)) finish(op, io, "SUCCEEDED");
        break;
      case "ROLLING_BACK":
        await rollBack(op, io);
        break;
    }
    // A phase that made no progress before the deadline yields to the next call.
    if (op.phase === phase && io.nowMs() >= deadlineMs) return true;
  }
  return false;
}

async function copy(op: ReshardingOperation, source: SourceProgress, io: ReshardingIO, deadlineMs: number): Promise<void> {
  while (!source.copyDone && op.phase === "COPYING" && io.nowMs() < deadlineMs) {
    const stepStartMs = io.nowMs();
    const page = await io.shard(source.shard).reshardExport(op.target, source.cursor, RESHARD_COPY_PAGE_BYTES_MAX, source.cursor === null, RESHARD_COPY_PAGE_ROWS_MAX, RESHARD_COPY_SCAN_ROWS_MAX);
    if (source.startSeq === null) {
      // Saved before anything is staged: every staged row was read at or
      // after this position, and the catch-up replays everything after it.
      source.startSeq = page.headSeq;
      source.appliedSeq = page.headSeq;
      io.save(op);
    }
    await stage(op, io, page.changes);
    source.copied += page.changes.length;
    source.scanned += page.scanned;
    source.cursor = page.next;
    source.copyDone = page.next === null;
    save(op, io);
    io.failpoint("after_copy_page");
    await rest(op, io, stepStartMs);
  }
}

/**
 * Stages one catch-up read of a source's change log on its targets, then
 * advances the source's applied position past it (not saved: the caller
 * saves it with its own progress). Shared by the catch-up and the checksum
 * steps, whose reads both carry the log's changes since `source.appliedSeq`.
 */
async function applyCatchUpRead(
  op: ReshardingOperation,
  source: SourceProgress,
  io: ReshardingIO,
  read: { readonly changes: readonly MovingChange[]; readonly throughSeq: number },
): Promise<void> {
  await stage(op, io, read.changes);
  source.copied += read.changes.length;
  source.appliedSeq = read.throughSeq;
}

/** Fails the operation because a source's change log was trimmed past its applied position (the copy can no longer catch up). */
function failTrimmed(op: ReshardingOperation, source: SourceProgress, io: ReshardingIO): void {
  fail(op, io, `the change log of ${source.shard} was trimmed past position ${source.appliedSeq} before the copy caught up; start the resharding again`);
}

async function catchUp(op: ReshardingOperation, source: SourceProgress, io: ReshardingIO, deadlineMs: number): Promise<void> {
  while (!source.caughtUp && op.phase === "CATCHING_UP" && io.nowMs() < deadlineMs) {
    const stepStartMs = io.nowMs();
    const read = await io.shard(source.shard).reshardChanges(op.target, source.appliedSeq, RESHARD_CATCHUP_ROWS_MAX);
    if (!read.ok) return failTrimmed(op, source, io);
    await applyCatchUpRead(op, source, io, read);
    source.caughtUp = read.complete && read.logged <= RESHARD_CUTOVER_LAG_ROWS_MAX;
    save(op, io);
    io.failpoint("after_catch_up");
    if (!source.caughtUp) await rest(op, io, stepStartMs);
  }
}

/**
 * What the cutover would otherwise do while the moving keys wait, done
 * before it: each target's running checksum is checked against its stored
 * copies (a difference: copy that target again, its sources still live),
 * then each source takes the checksums of its moving documents at a log
 * position (its last catch-up read, which must reach the log's head), which
 * its fence only adjusts. Returns true when every source has its checksums.
 */
async function readyCutover(op: ReshardingOperation, io: ReshardingIO, deadlineMs: number): Promise<boolean> {
  const startMs = io.nowMs();
  const verifying = op.targets.filter((t) => t.verified !== true).length;
  await pool(op.targets.filter((t) => t.verified !== true), throttleOf(op).sourcesAtOnce, (target) => verifyTarget(op, target, io, deadlineMs));
  if (op.targets.some((t) => t.verified !== true)) return false;
  const verifiedMs = io.nowMs();
  await forEachSource(op, (s) => (s.checksum ?? null) === null, (s) => checksumSource(op, s, io, deadlineMs));
  // What this slice spent outside the cutover on the checksums (the move's
  // time, not the pause's): one line per alarm slice that did any.
  io.log({ event: "resharding_checksums", operation: op.id, targetsVerified: verifying, verifyMs: verifiedMs - startMs, checksumMs: io.nowMs() - verifiedMs });
  if (op.phase !== "CATCHING_UP" || op.sources.some((s) => (s.checksum ?? null) === null)) return false;
  io.failpoint("after_checksum");
  return true;
}

/**
 * Checks a target's copies against its running checksum, a page of
 * RESHARD_VERIFY_ROWS_MAX copies per step (each saved, and rested after
 * like a copy step), until the verdict or the deadline. A mismatch copies
 * the target again from the live sources, then verifies it from the start;
 * a second mismatch after that full copy is a broken invariant.
 */
async function verifyTarget(op: ReshardingOperation, target: TargetProgress, io: ReshardingIO, deadlineMs: number): Promise<void> {
  while (target.verified !== true && op.phase === "CATCHING_UP" && io.nowMs() < deadlineMs) {
    const stepStartMs = io.nowMs();
    const step = await io.shard(target.shard).reshardVerify(target.direct, target.verifyProgress ?? null, RESHARD_VERIFY_ROWS_MAX);
    if (!step.done) {
      target.verifyProgress = step.progress;
      save(op, io);
      await rest(op, io, stepStartMs);
      continue;
    }
    target.verifyProgress = null;
    if (!step.ok) {
      if (target.recopied === true) throw new Error(`invariant broken: ${target.shard} disagrees with its own copies after a full copy: ${step.mismatch}`);
      noteError(op, `checksum mismatch before the cutover, copying ${target.shard} again: ${step.mismatch}`);
      await recopy(op, target, io);
      target.recopied = true;
    } else {
      target.verified = true;
    }
    save(op, io);
  }
}

/** A source's checksum point, a page of keys per step, each with a catch-up read (its progress saved only once the read's changes are staged). */
async function checksumSource(op: ReshardingOperation, source: SourceProgress, io: ReshardingIO, deadlineMs: number): Promise<void> {
  while ((source.checksum ?? null) === null && op.phase === "CATCHING_UP" && io.nowMs() < deadlineMs) {
    const stepStartMs = io.nowMs();
    const read = await io.shard(source.shard).reshardChecksum(op.target, source.appliedSeq, RESHARD_CATCHUP_ROWS_MAX, source.checksumProgress ?? null, RESHARD_CHECKSUM_KEYS_MAX);
    if (!read.ok) return failTrimmed(op, source, io);
    await applyCatchUpRead(op, source, io, read);
    source.checksumProgress = read.progress;
    if (read.progress?.done === true) source.checksum = { atSeq: read.progress.atSeq, sums: { ...read.progress.sums } };
    save(op, io);
    if ((source.checksum ?? null) === null) await rest(op, io, stepStartMs);
  }
}

/**
 * The cutover: fence every source (each answers with its whole drain and
 * the checksum of what it sends each target: the one readyCutover took,
 * adjusted by the changes since), then promote every target
 * with its last changes and the checksums it must match, in the same call,
 * and publish: two round trips to shards when nothing is locked. From the
 * first fence on there is no way back (the fenced sources refuse their
 * moving keys), so it only goes forward; a crash resumes it here. Drained
 * changes are kept only in memory until a target's promotion stores them,
 * so the applied positions are not advanced: fencing again (idempotent)
 * reads them again, and a target already promoted ignores them. Returns
 * false when the deadline passed first.
 */
async function cutOver(op: ReshardingOperation, io: ReshardingIO, deadlineMs: number): Promise<boolean> {
  const pending = new Map<string, Array<Omit<MovingChange, "target">>>();
  const expected = new Map<string, Record<string, RangeChecksum>>();
  const fenced = new Map<string, { lastTs: number; maxReadTs: number; lastVersion: number }>();
  // Each step's round trip, from this call's start (ms), for the log line
  // that times the cutover (the figures behind cutover_millis).
  const steps: Array<{ step: string; shard?: string; atMs: number; ms: number; rows?: number }> = [];
  const t0 = io.nowMs();
  /** Per source, the fences in this call that found locks (RESHARD_FENCE_PATIENCE_ROUNDS). */
  const lockedFences = new Map<string, number>();
  // Timed from the first fence (cutover_millis), not from the end of the
  // catch-up: an alarm may yield in between. Saved, so a crash keeps it.
  if (op.cutoverStartMs === null) {
    op.cutoverStartMs = io.nowMs();
    save(op, io);
  }
  for (;;) {
    const unfenced = op.sources.filter((s) => !fenced.has(s.shard));
    if (unfenced.length === 0) break;
    await inBatches(unfenced, async (source) => {
      const ts = io.nowMs();
      const outcome = await io.shard(source.shard).reshardFence(op.target, source.appliedSeq, RESHARD_CATCHUP_ROWS_MAX, source.checksum ?? null);
      steps.push({ step: outcome.ok ? "fence" : `fence_${outcome.reason}`, shard: source.shard, atMs: ts - t0, ms: io.nowMs() - ts, ...(outcome.ok ? { rows: outcome.drained.length } : {}) });
      if (!outcome.ok) {
        // Writes surged since the catch-up: catch up (the source is fenced,
        // so this converges) and fence again.
        if (outcome.reason === "lagging") await catchUpOnce(op, source, io);
        // Transactions lock moving keys: settle them (decided ones applied,
        // quiet ones aborted; after RESHARD_FENCE_PATIENCE_ROUNDS fences,
        // undecided ones aborted too), so no lock holds the cutover for
        // longer than a few fences.
        if (outcome.reason === "locked") {
          const rounds = (lockedFences.get(source.shard) ?? 0) + 1;
          lockedFences.set(source.shard, rounds);
          await io.settleLocks(source.shard, outcome.holders, rounds >= RESHARD_FENCE_PATIENCE_ROUNDS);
        }
        return;
      }
      collect(pending, outcome.drained);
      source.copied += outcome.drained.length;
      for (const [target, sum] of Object.entries(outcome.checksums)) (expected.get(target) ?? expected.set(target, {}).get(target)!)[source.shard] = sum;
      const { headSeq, lastTs, maxReadTs, lastVersion } = outcome;
      fenced.set(source.shard, { lastTs, maxReadTs, lastVersion });
      source.fence ??= { headSeq, lastTs, maxReadTs, lastVersion };
    });
    save(op, io);
    io.failpoint("after_first_fence");
    if (fenced.size === op.sources.length) break;
    // A transaction held locks on moving keys (settled above; a commit in
    // flight may still be applying). The fenced keys wait meanwhile, so the
    // cutover keeps the alarm past its budget for up to
    // RESHARD_FENCE_WAIT_MS_MAX before yielding.
    if (io.nowMs() >= deadlineMs + RESHARD_FENCE_WAIT_MS_MAX) return false;
    await io.sleep(RESHARD_FENCE_RETRY_MS);
  }
  for (const s of op.sources) s.drained = true;
  io.failpoint("after_drain");
  const clock = { lastTs: 0, maxReadTs: 0, lastVersion: 0 };
  for (const f of fenced.values()) {
    clock.lastTs = Math.max(clock.lastTs, f.lastTs);
    clock.maxReadTs = Math.max(clock.maxReadTs, f.maxReadTs);
    clock.lastVersion = Math.max(clock.lastVersion, f.lastVersion);
  }
  await inBatches(op.targets.filter((t) => !t.promoted), async (target) => {
    const request = { clock, changes: pending.get(target.shard) ?? [], direct: target.direct, expected: expected.get(target.shard) ?? {} };
    const ts = io.nowMs();
    let outcome = await io.shard(target.shard).reshardPromote(op.target, request);
    steps.push({ step: outcome.ok ? "promote" : "promote_mismatch", shard: target.shard, atMs: ts - t0, ms: io.nowMs() - ts, rows: request.changes.length });
    if (!outcome.ok) {
      // The copies disagree with the frozen sources: copy this target again
      // from them, whole, and check again (a second mismatch is a bug: the
      // operation stops here with the error, its sources still fenced).
      noteError(op, `checksum mismatch, copying ${target.shard} again: ${outcome.mismatch}`);
      await recopy(op, target, io);
      outcome = await io.shard(target.shard).reshardPromote(op.target, { ...request, changes: [] });
      if (!outcome.ok) throw new Error(`invariant broken: ${target.shard} still disagrees with its sources after a full copy: ${outcome.mismatch}`);
    }
    target.promoted = true;
    save(op, io);
    io.failpoint("after_first_promote");
  });
  const tp = io.nowMs();
  io.publish(op);
  op.cutoverEndMs = io.nowMs();
  steps.push({ step: "publish", atMs: tp - t0, ms: op.cutoverEndMs - tp });
  io.log({ event: "resharding_cutover", operation: op.id, cutoverMillis: op.cutoverEndMs - (op.cutoverStartMs ?? t0), steps });
  moveTo(op, io, "CLEANING_UP");
  io.failpoint("after_publish");
  return true;
}

/** One catch-up read of a fenced source that lagged, staged at once (its targets are not promoted yet). */
async function catchUpOnce(op: ReshardingOperation, source: SourceProgress, io: ReshardingIO): Promise<void> {
  const read = await io.shard(source.shard).reshardChanges(op.target, source.appliedSeq, RESHARD_CATCHUP_ROWS_MAX);
  if (!read.ok) throw new Error(`invariant broken: the change log of ${source.shard} was trimmed during the cutover`);
  await stage(op, io, read.changes);
  source.copied += read.changes.length;
  source.appliedSeq = read.throughSeq;
  save(op, io);
}

/** Discards a target's copies and copies its documents again from every (fenced, so frozen) source. */
async function recopy(op: ReshardingOperation, target: TargetProgress, io: ReshardingIO): Promise<void> {
  await io.shard(target.shard).reshardDiscard(target.direct);
  await inBatches(op.sources, async (source) => {
    let cursor: RowCursor | null = null;
    do {
      const page: ExportPage = await io.shard(source.shard).reshardExport(op.target, cursor, RESHARD_COPY_PAGE_BYTES_MAX, false, RESHARD_COPY_PAGE_ROWS_MAX, RESHARD_COPY_SCAN_ROWS_MAX);
      const mine = page.changes.filter((c) => c.target === target.shard).map(({ target: _t, ...c }) => c);
      if (mine.length > 0) await io.shard(target.shard).reshardStage(mine, target.direct);
      cursor = page.next;
    } while (cursor !== null);
  });
}

/** Adds changes to the per-target lists in the order read (a later row of a key replaces an earlier one when stored). */
function collect(pending: Map<string, Array<Omit<MovingChange, "target">>>, changes: readonly MovingChange[]): void {
  for (const { target, ...change } of changes) {
    let list = pending.get(target);
    if (list === undefined) pending.set(target, (list = []));
    list.push(change);
  }
}

async function release(op: ReshardingOperation, source: SourceProgress, io: ReshardingIO, deadlineMs: number): Promise<void> {
  while (!source.released && io.nowMs() < deadlineMs) {
    const stepStartMs = io.nowMs();
    const step = await io.shard(source.shard).reshardRelease();
    source.released = step.done;
    save(op, io);
    io.failpoint("after_release_page");
    if (!source.released) await rest(op, io, stepStartMs);
  }
}

async function rollBack(op: ReshardingOperation, io: ReshardingIO): Promise<void> {
  await inBatches(op.targets.filter((t) => !t.discarded), async (target) => {
    await io.shard(target.shard).reshardDiscard(target.direct);
    target.discarded = true;
  });
  op.phase = "DONE";
  op.endTimeMs = io.nowMs();
  save(op, io);
}

/**
 * Stores changes on their targets, one call per target, all at once: on
 * local workerd those calls run back to back on the one thread, so a
 * request may wait for all of them, but they carry one copy page between
 * them, which RESHARD_COPY_PAGE_ROWS_MAX keeps short.
 */
async function stage(op: ReshardingOperation, io: ReshardingIO, changes: readonly MovingChange[]): Promise<void> {
  const byTarget = new Map<string, Array<Omit<MovingChange, "target">>>();
  for (const { target, ...change } of changes) {
    let list = byTarget.get(target);
    if (list === undefined) byTarget.set(target, (list = []));
    list.push(change);
  }
  await Promise.all(
    [...byTarget].map(([shard, list]) => {
      const target = op.targets.find((t) => t.shard === shard);
      if (target === undefined) throw new Error(`invariant broken: a document moves to ${shard}, which is not a target`);
      return io.shard(shard).reshardStage(list, target.direct);
    }),
  );
}

/**
 * Runs a data-moving `step` loop for every source that `pending` selects,
 * in the pool below: a source that finishes (or reaches the deadline)
 * hands its place to the next at once.
 */
function forEachSource(op: ReshardingOperation, pending: (s: SourceProgress) => boolean, step: (s: SourceProgress) => Promise<void>): Promise<void> {
  return pool(op.sources.filter(pending), throttleOf(op).sourcesAtOnce, step);
}

/** Runs `step` for every item, `atOnce` at a time (the data-moving steps' throttle). */
async function pool<T>(items: readonly T[], atOnce: number, step: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await step(next);
  };
  await Promise.all(Array.from({ length: Math.min(atOnce, queue.length) }, worker));
}

async function inBatches<T>(items: readonly T[], step: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += RESHARD_SHARD_CONCURRENCY_MAX) {
    await Promise.all(items.slice(i, i + RESHARD_SHARD_CONCURRENCY_MAX).map(step));
  }
}

function finish(op: ReshardingOperation, io: ReshardingIO, state: "SUCCEEDED"): void {
  op.state = state;
  op.phase = "DONE";
  op.endTimeMs = io.nowMs();
  save(op, io);
}

function fail(op: ReshardingOperation, io: ReshardingIO, message: string): void {
  noteError(op, message);
  op.state = "FAILED";
  moveTo(op, io, "ROLLING_BACK");
}
