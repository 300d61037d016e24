/**
 * Cuts the load's requests (lib/reshard-load.ts) into windows (before,
 * during and after the move; each phase of the move; the cutover) and
 * summarizes each: throughput, latency histograms (hdr-histogram-js, in
 * microseconds, as the rest of the harness), errors, the longest single
 * read and write, the longest gap between two acknowledged writes to one
 * of the hottest records, and the longest stretch with no write
 * acknowledged at all. Pure: plain data in, plain data out.
 *
 * A request belongs to the window it was SENT in, except for the cutover
 * window, which takes every request that was in flight at any moment of it.
 */
import { newHistogram, summarize } from "./loops.js";
import type { LatencySummary } from "./results.js";
import type { LoadOp } from "./reshard-load.js";
import { recordId } from "./keys.js";

/** A request singled out (the longest of its kind in a window). Times are relative to the StartResharding call. */
export interface NotableOp {
  readonly ms: number;
  readonly id: string;
  readonly atS: number;
}

export interface WindowStats {
  readonly name: string;
  /** Bounds relative to the StartResharding call, seconds. */
  readonly fromS: number;
  readonly toS: number;
  readonly ops: number;
  readonly opsPerSecond: number;
  readonly errors: number;
  readonly firstErrors: readonly string[];
  readonly all: LatencySummary;
  readonly reads: LatencySummary;
  readonly writes: LatencySummary;
  readonly longestWrite: NotableOp | null;
  readonly longestRead: NotableOp | null;
  /** Longest time between two acknowledged writes to one of the hot records (see windowStats for which gaps count). */
  readonly hotKeyWriteGap: NotableOp | null;
  /** Longest time in the window with no write acknowledged (a stall of every writer at once). */
  readonly writeStallMs: number;
  /**
   * Writes the Worker ran again after a shard answered "moved" (the
   * cutover's fence met them): how many, their pause as the Worker
   * measured it (first attempt to answer, the impossibledb-rerouted-ms
   * header), and their whole latency as the client saw it. The pause a
   * resharding put on a key, apart from the load's own queueing.
   */
  readonly reroutedWrites: { count: number; pause: LatencySummary; client: LatencySummary; longest: NotableOp | null };
}

/** Errors whose text is kept per window (all are counted). */
const ERRORS_KEPT_MAX = 5;

/**
 * Every request sent in [fromMs, toMs) (with `sent` false: in flight at any
 * moment of it); `originMs` is the StartResharding call. Hot-record gaps
 * count when they lie inside the window, or with `gapsOverlapping` when
 * they overlap it at all (the move: a gap begun before it and ended after
 * it is its pause).
 */
export function windowStats(
  name: string,
  ops: readonly LoadOp[],
  window: { fromMs: number; toMs: number; originMs: number; sent?: boolean; gapsOverlapping?: boolean },
  hotRecords: ReadonlySet<number>,
): WindowStats {
  const { fromMs, toMs, originMs, sent = true, gapsOverlapping = false } = window;
  const inWindow = sent ? ops.filter((o) => o.startMs >= fromMs && o.startMs < toMs) : ops.filter((o) => o.startMs < toMs && o.endMs >= fromMs);
  const [all, reads, writes] = [newHistogram(), newHistogram(), newHistogram()];
  let longestWrite: NotableOp | null = null;
  let longestRead: NotableOp | null = null;
  const firstErrors: string[] = [];
  let errors = 0;
  const [pause, reroutedClient] = [newHistogram(), newHistogram()];
  let reroutedCount = 0;
  let longestRerouted: NotableOp | null = null;
  for (const o of inWindow) {
    const ms = o.endMs - o.startMs;
    const notable = { ms, id: recordId(o.record), atS: (o.startMs - originMs) / 1000 };
    if (o.error !== null) {
      errors++;
      if (firstErrors.length < ERRORS_KEPT_MAX) firstErrors.push(`${o.write ? "write" : "read"} of ${notable.id} sent at ${notable.atS.toFixed(2)} s, after ${ms.toFixed(0)} ms: ${o.error}`);
    }
    const us = Math.max(1, Math.round(ms * 1000));
    all.recordValue(us);
    (o.write ? writes : reads).recordValue(us);
    if (o.write && (longestWrite === null || ms > longestWrite.ms)) longestWrite = notable;
    if (!o.write && (longestRead === null || ms > longestRead.ms)) longestRead = notable;
    if (o.write && o.reroutedMs !== null) {
      reroutedCount++;
      pause.recordValue(Math.max(1, Math.round(o.reroutedMs * 1000)));
      reroutedClient.recordValue(us);
      if (longestRerouted === null || o.reroutedMs > longestRerouted.ms) longestRerouted = { ...notable, ms: o.reroutedMs };
    }
  }
  const seconds = (toMs - fromMs) / 1000;
  const summary = { name, fromS: (fromMs - originMs) / 1000, toS: (toMs - originMs) / 1000, ops: inWindow.length, opsPerSecond: inWindow.length / seconds, errors, firstErrors };
  return {
    ...summary,
    all: summarize(all),
    reads: summarize(reads),
    writes: summarize(writes),
    longestWrite,
    longestRead,
    hotKeyWriteGap: hotKeyGap(ops, fromMs, toMs, originMs, hotRecords, gapsOverlapping),
    writeStallMs: writeStall(ops, fromMs, toMs),
    reroutedWrites: { count: reroutedCount, pause: summarize(pause), client: summarize(reroutedClient), longest: longestRerouted },
  };
}

/** Acknowledged writes, in the order their acknowledgements arrived. */
function ackedWrites(ops: readonly LoadOp[]): LoadOp[] {
  return ops.filter((o) => o.write && o.error === null).sort((a, b) => a.endMs - b.endMs);
}

function hotKeyGap(ops: readonly LoadOp[], fromMs: number, toMs: number, originMs: number, hot: ReadonlySet<number>, overlapping: boolean): NotableOp | null {
  const last = new Map<number, number>();
  let longest: NotableOp | null = null;
  for (const o of ackedWrites(ops)) {
    if (!hot.has(o.record)) continue;
    const prev = last.get(o.record);
    last.set(o.record, o.endMs);
    if (prev === undefined) continue;
    if (overlapping ? o.endMs < fromMs || prev >= toMs : prev < fromMs || o.endMs >= toMs) continue;
    const ms = o.endMs - prev;
    if (longest === null || ms > longest.ms) longest = { ms, id: recordId(o.record), atS: (prev - originMs) / 1000 };
  }
  return longest;
}

function writeStall(ops: readonly LoadOp[], fromMs: number, toMs: number): number {
  let prev = fromMs;
  let longest = 0;
  for (const o of ackedWrites(ops)) {
    if (o.endMs < fromMs) continue;
    const at = Math.min(o.endMs, toMs);
    longest = Math.max(longest, at - prev);
    prev = at;
    if (o.endMs >= toMs) return longest;
  }
  return Math.max(longest, toMs - prev);
}

/** One slice of the run: what the load sent in it (for spotting stalls). */
export interface TimelineSlice {
  /** Start of the slice, seconds from the StartResharding call. */
  readonly atS: number;
  readonly ops: number;
  readonly errors: number;
  readonly maxMs: number;
}

/** Counts of the requests sent in [fromMs, toMs) per `sliceMs`, times relative to `originMs`. */
export function timeline(ops: readonly LoadOp[], fromMs: number, toMs: number, originMs: number, sliceMs: number): TimelineSlice[] {
  const first = Math.floor((fromMs - originMs) / sliceMs);
  const slices = Array.from({ length: Math.max(0, Math.ceil((toMs - originMs) / sliceMs) - first) }, (_, i) => ({ atS: ((first + i) * sliceMs) / 1000, ops: 0, errors: 0, maxMs: 0 }));
  for (const o of ops) {
    if (o.startMs < fromMs || o.startMs >= toMs) continue;
    const s = slices[Math.floor((o.startMs - originMs) / sliceMs) - first];
    if (s === undefined) continue;
    s.ops++;
    if (o.error !== null) s.errors++;
    s.maxMs = Math.max(s.maxMs, o.endMs - o.startMs);
  }
  return slices.map((s) => ({ ...s, maxMs: Math.round(s.maxMs * 10) / 10 }));
}

/**
 * When the load's answers switched routing tables: the last answer under
 * the source version and the first under the target version, seconds from
 * the StartResharding call (null when none carried it: a server without
 * the routing-version header).
 */
export function routingSwitch(ops: readonly LoadOp[], sourceVersion: number, targetVersion: number, originMs: number) {
  let lastOld: number | null = null;
  let firstNew: number | null = null;
  let unversioned = 0;
  for (const o of ops) {
    if (o.error !== null) continue;
    if (o.routingVersion === null) unversioned++;
    else if (o.routingVersion === sourceVersion) lastOld = Math.max(lastOld ?? -Infinity, o.endMs);
    else if (o.routingVersion === targetVersion) firstNew = Math.min(firstNew ?? Infinity, o.endMs);
  }
  const s = (ms: number | null) => (ms === null ? null : Math.round(ms - originMs) / 1000);
  return { lastOldAnswerS: s(lastOld), firstNewAnswerS: s(firstNew), unversionedAnswers: unversioned };
}
