/**
 * One feed call per shard, collection and position, however many listeners
 * of this Worker isolate wait on it. Listeners of one collection that are
 * caught up all ask each shard for the changes after the same position; if
 * each made its own call, every write would wake one call per listener on
 * its shard and each would read the log again (measured: with 100
 * listeners a write's acknowledgement took 8x as long and the shard spent
 * 11x the CPU per write). Calls with the same arguments in flight at once
 * share one answer instead. The answer is plain data that nobody mutates.
 */

/** A feed call's arguments and answer, as `ListenShards.changes` takes them. */
export type FeedCall<T> = (shard: string, collection: string, id: string | null, afterSeq: number, waitMs: number) => Promise<T>;

/**
 * Wraps `call` so concurrent calls with equal arguments share one call.
 * The entry leaves the table when the call settles, so the table holds at
 * most one entry per call in flight.
 */
export function sharedFeed<T>(call: FeedCall<T>): FeedCall<T> {
  const inflight = new Map<string, Promise<T>>();
  return (shard, collection, id, afterSeq, waitMs) => {
    const key = JSON.stringify([shard, collection, id, afterSeq, waitMs]);
    let pending = inflight.get(key);
    if (pending === undefined) {
      pending = call(shard, collection, id, afterSeq, waitMs).finally(() => inflight.delete(key));
      inflight.set(key, pending);
    }
    return pending;
  };
}
