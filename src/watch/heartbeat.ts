/**
 * The heartbeat of a listener a read rule binds: due on a fixed schedule
 * from the stream's start (every `periodMs`), whatever the shards do. A
 * schedule that restarted whenever a feed call returned would fall a
 * period after each write to the shard, writes to documents the caller may
 * not read included, and so tell it when they were written.
 */

/** What `due()` resolves to when a heartbeat is due. */
export const HEARTBEAT_DUE = Symbol("heartbeat due");

/** A listener's heartbeat schedule. */
export interface Heartbeat {
  /**
   * Resolves with HEARTBEAT_DUE at the next beat of the schedule. The same
   * promise until `sent()`, so a loop that races it each turn keeps one
   * timer and never loses a beat that fell while it was busy.
   */
  due(): Promise<typeof HEARTBEAT_DUE>;
  /** The due beat went out: the next `due()` waits for the beat after now. */
  sent(): void;
  /** Clears the pending timer (the listener ended). */
  stop(): void;
}

/** A schedule with beats at start + k * `periodMs` (k >= 1), `nowMs` the clock (injectable for tests). */
export function createHeartbeat(periodMs: number, nowMs: () => number = Date.now): Heartbeat {
  if (!(periodMs > 0)) throw new Error(`invariant broken: a heartbeat period must be positive, got ${periodMs}`);
  const startMs = nowMs();
  let beats = 0;
  let pending: Promise<typeof HEARTBEAT_DUE> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    due() {
      if (pending !== null) return pending;
      // The next beat after now; beats missed while the listener was busy are skipped, not sent in a burst.
      beats = Math.max(beats + 1, Math.floor((nowMs() - startMs) / periodMs) + 1);
      const atMs = startMs + beats * periodMs;
      pending = new Promise((resolve) => {
        timer = setTimeout(() => {
          timer = null;
          resolve(HEARTBEAT_DUE);
        }, Math.max(0, atMs - nowMs()));
      });
      return pending;
    },
    sent() {
      pending = null;
    },
    stop() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    },
  };
}
