/**
 * The "moved" answer of a shard (routing/shard-epoch.ts): a request routed by
 * an older routing table is refused with this error before the shard does
 * any work, and the Worker routes it again. It crosses Workers RPC as a
 * message (nothing else of an error does), so it is built and recognised
 * here, in one place, free of Workers types.
 */

/** The prefix of the moved error's message; the rest is the shard's epoch. */
export const MOVED_MESSAGE_PREFIX = "routing moved: shard serves routing epoch ";

/** The message of the moved error for a shard at `epoch`. */
export function movedMessage(epoch: number): string {
  return `${MOVED_MESSAGE_PREFIX}${epoch}; the request is routed again`;
}

/** The epoch named by a moved error (thrown by a shard, seen by the Worker), or null for any other error. */
export function movedEpochOf(err: unknown): number | null {
  const message = err instanceof Error ? err.message : typeof err === "string" ? err : null;
  if (message === null) return null;
  const at = message.indexOf(MOVED_MESSAGE_PREFIX);
  if (at < 0) return null;
  const epoch = Number.parseInt(message.slice(at + MOVED_MESSAGE_PREFIX.length), 10);
  return Number.isSafeInteger(epoch) ? epoch : null;
}

/**
 * The condition, on a statement over `documents`, that leaves out the rows
 * a releasing source no longer owns (shard-epoch.ts EpochGuard `fanOutExcludingMoved`).
 * An indexed probe of `moving_keys` per row.
 */
export const NOT_MOVED_SQL = "NOT EXISTS (SELECT 1 FROM moving_keys AS moved WHERE moved.collection = documents.collection AND moved.id = documents.id)";
