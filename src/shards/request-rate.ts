/**
 * An approximate request rate for one shard object: calls counted in
 * one-second buckets over a sliding window, in the object's memory. It is
 * cheap (no storage, no timers) and honest about what it is: the count starts
 * at zero whenever the object starts (first call, or after eviction or a
 * reset), so right after a start the rate covers only the time since then.
 */

/** Seconds of history the rate averages over. */
export const REQUEST_RATE_WINDOW_SECONDS = 60;

const MS_PER_SECOND = 1000;

/** Counts calls and answers their recent rate; time comes from the caller. */
export class RequestRate {
  /** Calls per second, a ring indexed by second modulo the window. */
  private readonly counts = new Array<number>(REQUEST_RATE_WINDOW_SECONDS).fill(0);
  /** The second each bucket of `counts` holds; -1 when it holds none. */
  private readonly seconds = new Array<number>(REQUEST_RATE_WINDOW_SECONDS).fill(-1);
  private readonly startMs: number;

  /** Starts counting at `nowMs`, the object's start. */
  constructor(nowMs: number) {
    this.startMs = nowMs;
  }

  /** Counts one call at `nowMs`. */
  record(nowMs: number): void {
    const second = Math.floor(nowMs / MS_PER_SECOND);
    const slot = second % REQUEST_RATE_WINDOW_SECONDS;
    if (this.seconds[slot] !== second) {
      this.seconds[slot] = second;
      this.counts[slot] = 0;
    }
    this.counts[slot]! += 1;
  }

  /**
   * Calls per second over the last REQUEST_RATE_WINDOW_SECONDS, or over the
   * time since the start when that is shorter (at least one second, so a
   * burst just after a start does not read as a huge rate).
   */
  perSecond(nowMs: number): number {
    const now = Math.floor(nowMs / MS_PER_SECOND);
    let calls = 0;
    for (let slot = 0; slot < REQUEST_RATE_WINDOW_SECONDS; slot += 1) {
      const second = this.seconds[slot]!;
      if (second > now - REQUEST_RATE_WINDOW_SECONDS && second <= now) calls += this.counts[slot]!;
    }
    const elapsedSeconds = Math.max(1, Math.min(REQUEST_RATE_WINDOW_SECONDS, (nowMs - this.startMs) / MS_PER_SECOND));
    return calls / elapsedSeconds;
  }
}
