/**
 * Dropping a table or index on a shard while a statement is active there.
 * SQLite refuses DROP TABLE and DROP INDEX (SQLITE_LOCKED, "database table
 * is locked") while any statement on the connection is still active, and
 * in a Durable Object a statement whose cursor was left with rows unread
 * stays active until that cursor is garbage-collected (seconds, in
 * workerd). The shard code reads its statements to the end where it stops
 * early on purpose (search/shard-search.ts rankInSql), but a rarer early
 * stop (a page cut at its byte budget, a query over its rows-read budget)
 * can still leave one, so the Worker waits for the drop to go through:
 * each shard's drop is one SQLite transaction, rolled back whole when
 * refused, and idempotent, so trying again is safe.
 */
import { FailureError } from "../errors.js";
import { SHARD_DDL_LOCKED_POLL_MS, SHARD_DDL_LOCKED_WAIT_MS_MAX } from "../limits.js";

/** True when `err` is SQLite's refusal to drop while a statement is active. */
export function isTableLocked(err: unknown): boolean {
  return err instanceof Error && /SQLITE_LOCKED|database table is locked/.test(err.message);
}

/**
 * Runs `drop` (an idempotent drop on `shard`) until SQLite takes it, for
 * at most SHARD_DDL_LOCKED_WAIT_MS_MAX, looking again after
 * SHARD_DDL_LOCKED_POLL_MS, doubling up to a second; then UNAVAILABLE
 * (nothing dropped on that shard: call again).
 */
export async function dropWhenUnlocked<T>(shard: string, drop: () => Promise<T>, sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  const startedMs = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await drop();
    } catch (err) {
      if (!isTableLocked(err)) throw err;
      if (Date.now() - startedMs >= SHARD_DDL_LOCKED_WAIT_MS_MAX) {
        throw new FailureError(
          "unavailable",
          `shard ${shard} kept a read open for SHARD_DDL_LOCKED_WAIT_MS_MAX (${SHARD_DDL_LOCKED_WAIT_MS_MAX} ms), so SQLite would not drop there; nothing was dropped on it: call again`,
        );
      }
      await sleep(Math.min(SHARD_DDL_LOCKED_POLL_MS * 2 ** attempt, 1_000));
    }
  }
}
