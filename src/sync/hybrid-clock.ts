/**
 * A shard's hybrid clock: commit timestamps in microseconds since the epoch
 * that follow the wall clock but never repeat, never go back, and always
 * land after every snapshot the shard has served. That last rule is what
 * lets a snapshot read at T return at once: once T has been read here, no
 * later commit on this shard can take a timestamp at or below T.
 *
 * The pure rule is `nextTimestamp`; the shard keeps `last_ts` and
 * `max_read_ts` in one row (see snapshot-store.ts) and calls it inside the
 * same SQLite transaction as the write that uses the timestamp.
 */

/** Microseconds per millisecond, for the conversions at the edges. */
export const MICROS_PER_MS = 1000;

/** The clock's durable state on one shard. */
export interface ClockState {
  /** The largest timestamp this shard has given or applied. */
  readonly lastTs: number;
  /** The largest snapshot timestamp this shard has served a read at. */
  readonly maxReadTs: number;
}

/** The next commit timestamp: `max(now, last + 1, maxRead + 1)`, in microseconds. Pure. */
export function nextTimestamp(state: ClockState, nowMs: number): number {
  const ts = Math.max(Math.floor(nowMs) * MICROS_PER_MS, state.lastTs + 1, state.maxReadTs + 1);
  if (!Number.isSafeInteger(ts)) throw new Error(`invariant broken: timestamp ${ts} is not a safe integer`);
  return ts;
}

/** The millisecond time a client sees for a commit timestamp (its updateTime and commitTime). */
export function timestampMs(ts: number): number {
  return Math.floor(ts / MICROS_PER_MS);
}
