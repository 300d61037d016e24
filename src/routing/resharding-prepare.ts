/**
 * The PREPARING phase of a resharding (src/routing/README.md, "The
 * protocol", step 1), stopped at the alarm's deadline between its calls and
 * resumed from its saved progress:
 *
 * 1. stamp every shard of both tables with the current table (`op.stamped`):
 *    the source table's shards (existing objects: a stamp is one small
 *    write) together, then each shard that only the target table names one
 *    at a time, each followed by the throttle's rest like a copy step;
 * 2. per target: clear it (`discard`), then create every index and search
 *    index of the sources on it (`op.prepared`);
 * 3. count the sources' documents (cheap: counts the write triggers keep).
 *
 * Why new shards one at a time: the first call on a new shard creates it,
 * and its constructor applies every schema migration, about 35 ms of
 * synchronous work on a loaded machine (2026-12-02). Before, every shard
 * was stamped at once: on local workerd, whose one thread runs every
 * object, the creations ran back to back (12 stamps took up to 157 ms) and
 * every request waited behind all of them. One at a time, with a rest
 * after each, a request waits for one creation at most; it cannot be split
 * further (it is one object's constructor). The other calls are cheap
 * (small writes, empty targets), so they still go out together.
 *
 * Invariant (P1): a target named in `op.prepared` was cleared after it was
 * stamped and holds every index and search index of the sources; nothing
 * is stored on any target before COPYING, which begins only once every
 * target is named there. A crash between a target's clearing and its entry
 * repeats both, each idempotent (`test/workerd/resharding-crash.test.ts`,
 * "after_prepare_target").
 */
import { RESHARD_SHARD_CONCURRENCY_MAX } from "./limits.js";
import type { ReshardingIO } from "./resharding-driver.js";
import { moveTo, rest, save } from "./resharding-pacing.js";
import type { ReshardingOperation, TargetProgress } from "./resharding-plan.js";
import type { IndexSpec } from "../query/indexes.js";
import type { SearchIndexSpec } from "../search/catalog.js";

/**
 * Advances PREPARING until it is done (the operation then moves to
 * COPYING) or `deadlineMs` (ms, `io.nowMs()`) passes between two calls;
 * progress is saved after each call, so the next alarm continues there.
 */
export async function prepare(op: ReshardingOperation, io: ReshardingIO, deadlineMs: number): Promise<void> {
  const open = (): boolean => op.phase === "PREPARING" && io.nowMs() < deadlineMs;
  const existing = op.source.shards.filter((s) => !op.stamped.includes(s));
  if (existing.length > 0) {
    if (!open()) return;
    await inBatches(existing, async (shard) => {
      await io.shard(shard).reshardStamp(shard, op.source);
      op.stamped.push(shard);
    });
    save(op, io);
    io.failpoint("after_stamp");
  }
  for (const shard of op.target.shards) {
    if (op.stamped.includes(shard)) continue;
    if (!open()) return;
    const stepStartMs = io.nowMs();
    await io.shard(shard).reshardStamp(shard, op.source);
    op.stamped.push(shard);
    save(op, io);
    io.failpoint("after_stamp");
    await rest(op, io, stepStartMs);
  }
  const prepared = (op.prepared ??= []);
  const unprepared = op.targets.filter((t) => !prepared.includes(t.shard));
  if (unprepared.length > 0) {
    if (!open()) return;
    const source = io.shard(op.source.shards[0]!);
    // Read in every slice (cheap): CreateIndex is refused while a
    // resharding runs, so the lists cannot change under the operation.
    const specs = await source.listIndexes(null);
    const searchIndexes = (await source.listSearchIndexes()).map((s) => s.spec);
    await inBatches(unprepared, async (target) => {
      await prepareTarget(io, target, specs, searchIndexes);
      prepared.push(target.shard);
      save(op, io);
      io.failpoint("after_prepare_target");
    });
  }
  if (!open()) return;
  const counts = await Promise.all(op.sources.map((s) => io.shard(s.shard).stats()));
  op.documentsTotal = counts.reduce((sum, c) => sum + c.documentCount, 0);
  if (op.phase === "PREPARING") moveTo(op, io, "COPYING");
}

/** Clears one target and creates the sources' indexes on it (each call idempotent). */
async function prepareTarget(
  io: ReshardingIO,
  target: TargetProgress,
  specs: readonly IndexSpec[],
  searchIndexes: readonly SearchIndexSpec[],
): Promise<void> {
  const shard = io.shard(target.shard);
  // Targets start empty, with their running checksums at zero: nothing
  // they hold from an earlier, interrupted resharding can pass unseen.
  await shard.reshardDiscard(target.direct);
  // Every shard of a table has every index; a new shard gets them here,
  // before the copy. Its search indexes too (search/README.md): a new shard
  // is empty, so its index is ready at once and the copied rows are indexed
  // as they land.
  for (const spec of specs) await shard.createIndex(spec);
  for (const spec of searchIndexes) {
    const step = await shard.createSearchIndex(spec);
    if (!step.ok) throw new Error(`search index of ${spec.collection} on ${target.shard}: ${step.message ?? "refused"}`);
  }
}

/** Runs `step` for every item, RESHARD_SHARD_CONCURRENCY_MAX at a time. */
async function inBatches<T>(items: readonly T[], step: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += RESHARD_SHARD_CONCURRENCY_MAX) {
    await Promise.all(items.slice(i, i + RESHARD_SHARD_CONCURRENCY_MAX).map(step));
  }
}
