/**
 * A participant's recovery: a shard holding prepared locks past the
 * transaction's deadline asks the coordinator (by alarm) how it ended,
 * aborting it there if it is still undecided, and applies the answer. The
 * same alarm forgets finished transactions once nobody can ask about them.
 */
import type { Env } from "../env.js";
import { OVERDUE_RESOLUTIONS_PER_ALARM_MAX, SNAPSHOT_HISTORY_RETENTION_MS, TX_RECORD_RETENTION_MS } from "../limits.js";
import { coordinatorStub } from "./coordinator-client.js";
import { dropExpiredReadLocks, forgetFinished, nextDeadline, overduePrepared, participation } from "./lockManager.js";
import { abort, commit } from "./participant.js";
import { STAGING_RECOVERY_MS } from "./twoPhaseCommit.js";
import { nextHistoryTrimMs, trimHistory } from "./snapshot-store.js";
import { nextChangeLogTrimMs, trimChangeLog, type ChangeLogRetention } from "../watch/change-log.js";
import { nextCompactionMs } from "../search/compaction.js";
import { nextMaintenanceMs } from "../search/search-maintenance.js";
import { SEARCH_COMPACT_IDLE_MS } from "../search/limits.js";

/**
 * When the shard next needs its alarm: documents queued for its search
 * indexes (now), a prepared deadline, a finished
 * record to forget, or superseded versions to trim; null when never.
 */
function nextAttentionMs(sql: SqlStorage, retention: ChangeLogRetention): number | null {
  const times = [nextDeadline(sql), nextHistoryTrimMs(sql), nextChangeLogTrimMs(sql, retention), nextCompactionMs(sql), nextMaintenanceMs(sql)].filter((t): t is number => t !== null);
  return times.length === 0 ? null : Math.min(...times);
}

/** Sets the shard's alarm to the next time it needs attention, if any. */
export async function scheduleRecovery(storage: DurableObjectStorage, retention: ChangeLogRetention): Promise<void> {
  const next = nextAttentionMs(storage.sql, retention);
  if (next === null) return;
  // A need that is already due is due now: a change log over its bytes
  // says 0, and workerd refuses an alarm time <= 0 (it threw, after the
  // write had committed, so the caller was answered INTERNAL for an
  // applied write).
  const dueMs = Math.max(next, Date.now());
  const current = await storage.getAlarm();
  if (current === null || current > dueMs) await storage.setAlarm(dueMs);
}

/**
 * scheduleRecovery after a plain write (or batch) at `nowMs` that left the
 * change log holding `changeLogBytes`, with no statement on the usual path. A plain write adds only needs that fall
 * at or after `nowMs` plus the shorter of the two retentions (the row it
 * superseded is trimmed SNAPSHOT_HISTORY_RETENTION_MS after it, its change
 * row `retention.retentionMs` after it; with `searchIndexed`, when it
 * indexed documents, its text index's compaction SEARCH_COMPACT_IDLE_MS
 * after it), and none of a transaction's. So
 * when an alarm is already set no later than that, and the change log is
 * within its bytes, the alarm stands as it would have been set; otherwise
 * the full computation runs. Every path that adds an earlier need (a
 * prepare, the alarm itself) schedules with scheduleRecovery, so an alarm
 * that is set is no later than the needs already there.
 */
export async function scheduleAfterPlainWrite(storage: DurableObjectStorage, retention: ChangeLogRetention, nowMs: number, changeLogBytes: number, searchIndexed = false): Promise<void> {
  const current = await storage.getAlarm();
  // A write that indexed documents makes its text index due for compaction SEARCH_COMPACT_IDLE_MS after it (search/compaction.ts).
  const earliestNewNeedMs = nowMs + Math.min(SNAPSHOT_HISTORY_RETENTION_MS, retention.retentionMs, searchIndexed ? SEARCH_COMPACT_IDLE_MS : Infinity);
  if (current !== null && current <= earliestNewNeedMs && changeLogBytes <= retention.bytesMax) return;
  await scheduleRecovery(storage, retention);
}

/** Resolves overdue prepared transactions, forgets finished ones, and trims history no snapshot can need and change-log rows past the retention. */
export async function resolveOverdue(storage: DurableObjectStorage, env: Env, nowMs: number, retention: ChangeLogRetention): Promise<void> {
  forgetFinished(storage.sql, nowMs);
  dropExpiredReadLocks(storage.sql, nowMs);
  trimHistory(storage.sql, nowMs);
  storage.transactionSync(() => trimChangeLog(storage.sql, nowMs, retention));
  let undecided = false;
  for (const txId of overduePrepared(storage.sql, nowMs, OVERDUE_RESOLUTIONS_PER_ALARM_MAX)) {
    const held = participation(storage.sql, txId);
    const deadlineMs = held?.expiresMs ?? nowMs;
    // Named, the shard learns when its prepare is not the id's commit's (a repeated Commit's): aborted here.
    const resolution = await coordinatorStub(env, txId).resolve(txId, deadlineMs, true, "expired", held?.shard ?? undefined);
    const forgetAtMs = deadlineMs + TX_RECORD_RETENTION_MS;
    if (resolution.phase === "committed") commit(storage, txId, resolution.commitTs, forgetAtMs, resolution.txFingerprint);
    else if (resolution.phase === "aborted") abort(storage, txId, forgetAtMs, resolution.winner);
    // A parallel commit's staging transaction is decided only from its
    // participants (twoPhaseCommit.ts); one that did not answer leaves it
    // undecided, and this alarm asks again later.
    else undecided = true;
  }
  const next = nextAttentionMs(storage.sql, retention);
  if (next !== null) await storage.setAlarm(Math.max(next, nowMs + (undecided ? STAGING_RECOVERY_MS : 1)));
}
