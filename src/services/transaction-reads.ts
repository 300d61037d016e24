/**
 * How GetDocuments reads, by kind of transaction:
 * - read-only: a snapshot read at the id's timestamp on every shard, so all
 *   the transaction's reads form one consistent cut of the database;
 * - a retry (begun with retry_of): the shards are registered with the
 *   transaction's coordinator first (so its commit or abort releases them),
 *   then each shard reads and takes read locks, wounding younger holders and waiting for older ones (lock-order.ts);
 *   each round of such a wait registers again, which renews the
 *   transaction's lease (sync/read-lock-lease.ts: a retry waiting inside
 *   its own call is not quiet) and stops the wait if it was aborted meanwhile;
 * - a first attempt: a plain read (validated at Commit).
 * Transaction locks in the way are resolved by the intent resolver in every
 * case.
 */
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { currentRouting } from "../shards/routing-cache.js";
import { readFromShard, type ShardStub } from "../shards/shard-client.js";
import type { ShardReadOutcome, StoredDocument } from "../storage/types.js";
import type { Failure } from "../errors.js";
import { lifecycleFailure } from "../sync/commit-plan.js";
import { coordinatorStub } from "../sync/coordinator-client.js";
import { untilUnblocked } from "../sync/intent-resolver.js";
import type { TransactionToken } from "../sync/tx-token.js";

type Ref = { readonly collection: string; readonly id: string };

/** Reads `refs` at the read-only transaction's snapshot; null for each document missing at it, in request order. */
export function readAtSnapshot(env: Env, token: TransactionToken, refs: readonly Ref[]): Promise<Array<StoredDocument | null>> {
  return readPerShard(env, refs, async () => undefined, (stub, part) => stub.getAt(part, token.snapshotTs));
}

/** Reads `refs` for a retry, taking read locks; see the module comment. */
export function readWithLocks(env: Env, token: TransactionToken, refs: readonly Ref[]): Promise<Array<StoredDocument | null>> {
  const reader = { txId: token.id, expiresMs: token.deadlineMs, priorityMs: token.priorityMs };
  const register = async (shards: readonly string[]) => {
    const refused = lifecycleFailure(await coordinatorStub(env, token.id).register(token.id, token.deadlineMs, shards));
    if (refused !== null) throw new FailureError(refused.kind, refused.message);
  };
  return readPerShard(env, refs, register, (stub, part) => stub.getLocked(reader, part), (shard) => register([shard]));
}

/**
 * Groups `refs` by shard, runs `before` with the shards, then reads each
 * shard's part in parallel, resolving locks in the way (running
 * `beforeRetry` before each new try).
 */
async function readPerShard(
  env: Env,
  refs: readonly Ref[],
  before: (shards: string[]) => Promise<void>,
  read: (stub: ShardStub, part: Ref[]) => Promise<ShardReadOutcome | Failure>,
  /** Runs before each try of a shard's part after the first (that is, after locks blocked it). */
  beforeRetry: (shard: string) => Promise<void> = async () => undefined,
): Promise<Array<StoredDocument | null>> {
  const { router } = await currentRouting(env);
  const byShard = new Map<string, number[]>();
  refs.forEach((ref, index) => {
    const shard = router.shardFor(ref.collection, ref.id);
    byShard.set(shard, [...(byShard.get(shard) ?? []), index]);
  });
  await before([...byShard.keys()]);
  const docs = new Array<StoredDocument | null>(refs.length).fill(null);
  await Promise.all(
    [...byShard].map(async ([shard, indexes]) => {
      const part = indexes.map((i) => refs[i]!);
      let tries = 0;
      const outcome = await untilUnblocked(env, shard, async () => {
        if (tries++ > 0) await beforeRetry(shard);
        return readFromShard(env, shard, (stub) => read(stub, part));
      });
      if (!outcome.ok) throw new FailureError(outcome.kind, outcome.message);
      outcome.documents.forEach((doc, j) => {
        docs[indexes[j]!] = doc;
      });
    }),
  );
  return docs;
}
