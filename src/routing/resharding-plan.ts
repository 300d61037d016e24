/**
 * A live resharding as plain data: what moves where, and how far each shard
 * has got. Pure: the shard manager persists it (resharding-store.ts) and the
 * driver (resharding-driver.ts) advances it. The protocol and its
 * invariants are in src/routing/README.md, "Live resharding".
 *
 * With consistent hashing (consistentHash.ts) a grow moves keys only onto
 * the new shards: a grow's sources are every old shard and its targets the
 * new ones, empty, so they take copies straight into their documents
 * (`direct`). A shrink moves every document onto new shards too (Vitess
 * reshards the same way: the new shards serve nothing until the cutover):
 * its sources are every old shard and its targets `shardCount` new ones.
 * Had the remaining shards taken the removed shards' keys, they would have
 * had to keep the copies aside (they serve their own keys meanwhile) and
 * turn them into documents inside the cutover, a pause as long as the
 * copies are many (2.3 s for 12 -> 6 shards of 100,000 documents locally,
 * docs/benchmarks.md). A shrink so copies every document, not only the
 * removed shards' share; its cutover costs what a grow's does. Operations
 * planned before this rule may still hold staged (`direct: false`)
 * targets; the driver finishes them as before.
 *
 * New shards get names never used before in the database (neither in a
 * published table nor by any resharding, finished or cancelled), so a
 * direct target is always an object that has served nothing and holds
 * nothing: `shard-N` for N above every number already named.
 */
import { failure, type Failure } from "../errors.js";
import { RESHARD_COPY_CONCURRENCY_MAX, RESHARD_REST_PER_BUSY, RESHARD_REST_RATIO_MAX, RESHARD_SHARD_CONCURRENCY_MAX, SHARD_COUNT_MAX } from "./limits.js";
import type { RangeChecksum } from "./reshard-checksum.js";
import { assertRoutingTable, type RoutingTable } from "./router.js";

/** A position in a shard's (collection, id) order. */
export interface RowCursor {
  readonly collection: string;
  readonly id: string;
}

/** Where a resharding is in its life (the contract's Resharding.State). */
export type ReshardingState = "RUNNING" | "SUCCEEDED" | "FAILED" | "CANCELLED";

/** The step a resharding is at (the contract's Resharding.Phase). */
export type ReshardingPhase = "PREPARING" | "COPYING" | "CATCHING_UP" | "CUTTING_OVER" | "CLEANING_UP" | "ROLLING_BACK" | "DONE";

/** A source shard's progress. */
export interface SourceProgress {
  readonly shard: string;
  /** Where the copy stands; null before the first page and after the last. */
  cursor: RowCursor | null;
  copyDone: boolean;
  /** The change-log head read with the first page: the catch-up replays everything after it. Set once, before anything is staged. */
  startSeq: number | null;
  /** The log position every change up to which is on the targets. */
  appliedSeq: number;
  /** True once a catch-up round was short enough to fence (RESHARD_CUTOVER_LAG_ROWS_MAX). */
  caughtUp: boolean;
  /**
   * The checksums of the moving documents per target as of log position
   * `atSeq`, taken after the catch-up and before the fence, which adjusts
   * them by the changes logged since. Null until taken (and in operations
   * saved before it existed: the fence then computes them whole).
   */
  checksum?: { atSeq: number; sums: Record<string, RangeChecksum> } | null;
  /** The checksum point so far, taken a page of moving keys at a time (reshard-shard.ts `checksumPoint`); `checksum` once done. */
  checksumProgress?: { atSeq: number; sums: Record<string, RangeChecksum>; after: RowCursor | null; done: boolean } | null;
  /** Moving documents copied (pages and catch-up). */
  copied: number;
  /** Documents the copy looked at, moving or not (its progress through the source). */
  scanned: number;
  /** Set when the source is fenced: its log head then, and its clock. */
  fence: { headSeq: number; lastTs: number; maxReadTs: number; lastVersion?: number } | null;
  drained: boolean;
  released: boolean;
}

/** A target shard's progress. */
export interface TargetProgress {
  readonly shard: string;
  /** A new shard: copies go straight into its documents. */
  readonly direct: boolean;
  /** Its running checksum was checked against its stored copies before the cutover (reshard-shard.ts `verifyReceivedPage`). */
  verified?: boolean;
  /** The verification's progress between its pages; null or absent before its first page and after its verdict. */
  verifyProgress?: { after: RowCursor | null; sum: { count: number; lo: number; hi: number } } | null;
  /** It was copied again after a mismatch in this resharding (a second mismatch breaks an invariant). */
  recopied?: boolean;
  promoted: boolean;
  discarded: boolean;
}

/**
 * How hard a resharding's move presses on the shards (the contract's
 * ReshardingThrottle): `sourcesAtOnce` sources take data-moving steps at
 * the same time (1 to RESHARD_SHARD_CONCURRENCY_MAX), and after each step a
 * source rests `restRatio` times as long as the step took (0 to
 * RESHARD_REST_RATIO_MAX). The cutover is never throttled.
 */
export interface ReshardingThrottle {
  readonly sourcesAtOnce: number;
  readonly restRatio: number;
}

/** The throttle when the request names none: RESHARD_COPY_CONCURRENCY_MAX sources, RESHARD_REST_PER_BUSY. */
export const DEFAULT_RESHARDING_THROTTLE: ReshardingThrottle = { sourcesAtOnce: RESHARD_COPY_CONCURRENCY_MAX, restRatio: RESHARD_REST_PER_BUSY };

/**
 * The throttle a request asks for, with the defaults filled in (a zero or
 * absent `sourcesAtOnce`, an absent `restRatio`); INVALID_ARGUMENT outside
 * the bounds above, NaN and infinities included.
 */
export function resolveThrottle(requested: { sourcesAtOnce?: number; restRatio?: number } | undefined): { ok: true; throttle: ReshardingThrottle } | Failure {
  const sources = requested?.sourcesAtOnce ?? 0;
  const ratio = requested?.restRatio;
  if (!Number.isInteger(sources) || sources < 0 || sources > RESHARD_SHARD_CONCURRENCY_MAX) {
    return failure("invalid_argument", `throttle.sources_at_once must be 1 to ${RESHARD_SHARD_CONCURRENCY_MAX} (0 for the default, ${DEFAULT_RESHARDING_THROTTLE.sourcesAtOnce}), got ${sources}`);
  }
  if (ratio !== undefined && !(Number.isFinite(ratio) && ratio >= 0 && ratio <= RESHARD_REST_RATIO_MAX)) {
    return failure("invalid_argument", `throttle.rest_ratio must be 0 to ${RESHARD_REST_RATIO_MAX} (unset for the default, ${DEFAULT_RESHARDING_THROTTLE.restRatio}), got ${ratio}`);
  }
  return { ok: true, throttle: { sourcesAtOnce: sources === 0 ? DEFAULT_RESHARDING_THROTTLE.sourcesAtOnce : sources, restRatio: ratio ?? DEFAULT_RESHARDING_THROTTLE.restRatio } };
}

/** The operation's throttle (operations saved before throttles existed have none: the defaults). */
export function throttleOf(op: ReshardingOperation): ReshardingThrottle {
  return op.throttle ?? DEFAULT_RESHARDING_THROTTLE;
}

/** One resharding of one database. */
export interface ReshardingOperation {
  readonly id: string;
  state: ReshardingState;
  phase: ReshardingPhase;
  readonly source: RoutingTable;
  readonly target: RoutingTable;
  readonly sources: SourceProgress[];
  readonly targets: TargetProgress[];
  /** The move's throttle (absent in operations saved before it existed: the defaults). */
  readonly throttle?: ReshardingThrottle;
  /** Shards stamped so far in PREPARING (every shard of either table). */
  stamped: string[];
  /**
   * Targets cleared and given every index of the sources so far in
   * PREPARING (resharding-prepare.ts, invariant P1); absent in operations
   * saved before it existed, which had prepared every target at once.
   */
  prepared?: string[];
  documentsTotal: number;
  errors: string[];
  readonly startTimeMs: number;
  updateTimeMs: number;
  endTimeMs: number | null;
  cutoverStartMs: number | null;
  cutoverEndMs: number | null;
}

/** The most errors an operation keeps (the latest). */
export const RESHARDING_ERRORS_KEPT_MAX = 10;

/**
 * `count` shard ids never named in the database: `shard-N` for N from one
 * above the highest number in `named` (every id in a published table or in
 * any resharding), so no id is given twice, even after a cancel.
 */
export function unusedShardIds(named: Iterable<string>, count: number): string[] {
  let highest = -1;
  for (const id of named) {
    const m = /^shard-(\d+)$/.exec(id);
    if (m !== null) highest = Math.max(highest, Number(m[1]));
  }
  return Array.from({ length: count }, (_, i) => `shard-${highest + 1 + i}`);
}

/**
 * Plans a resharding of `current` to `shardCount` shards. FAILED_PRECONDITION
 * when the count is the current one; INVALID_ARGUMENT outside
 * 1..SHARD_COUNT_MAX. The target table's version is above `current`'s and
 * above `versionsUsedMax` (the highest version any earlier resharding's
 * target took, published or not): a version names one table forever, so a
 * cancelled resharding's target and the next one's never share a version
 * (caches of routers, stamps and tokens may be keyed by it). New shards are
 * named above every id in `current` and `shardIdsUsed` (every shard any
 * earlier resharding named): a grow adds `shardCount - current` of them,
 * a shrink moves everything onto `shardCount` of them (see the top of this
 * file). `throttle` is resolveThrottle's.
 */
export function planResharding(
  current: RoutingTable,
  shardCount: number,
  id: string,
  nowMs: number,
  versionsUsedMax = 0,
  shardIdsUsed: readonly string[] = [],
  throttle: ReshardingThrottle = DEFAULT_RESHARDING_THROTTLE,
): { ok: true; operation: ReshardingOperation } | Failure {
  if (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > SHARD_COUNT_MAX) {
    return failure("invalid_argument", `shard_count must be 1 to ${SHARD_COUNT_MAX}, got ${shardCount}`);
  }
  const from = current.shards.length;
  if (shardCount === from) return failure("failed_precondition", `the database already has ${from} shards`);
  const grow = shardCount > from;
  const fresh = unusedShardIds([...current.shards, ...shardIdsUsed], grow ? shardCount - from : shardCount);
  const target: RoutingTable = {
    version: Math.max(current.version, versionsUsedMax) + 1,
    shards: grow ? [...current.shards, ...fresh] : fresh,
    virtualNodesPerShard: current.virtualNodesPerShard,
  };
  assertRoutingTable(target);
  const operation: ReshardingOperation = {
    id,
    state: "RUNNING",
    phase: "PREPARING",
    source: { version: current.version, shards: [...current.shards], virtualNodesPerShard: current.virtualNodesPerShard },
    target,
    sources: current.shards.map((shard) => ({
      shard, cursor: null, copyDone: false, startSeq: null, appliedSeq: 0, caughtUp: false, checksum: null, copied: 0, scanned: 0,
      fence: null, drained: false, released: false,
    })),
    targets: fresh.map((shard) => ({ shard, direct: true, verified: false, promoted: false, discarded: false })),
    throttle,
    stamped: [],
    prepared: [],
    documentsTotal: 0,
    errors: [],
    startTimeMs: nowMs,
    updateTimeMs: nowMs,
    endTimeMs: null,
    cutoverStartMs: null,
    cutoverEndMs: null,
  };
  return { ok: true, operation };
}

/** Every shard the operation stamps: both tables' shards. */
export function shardsToStamp(op: ReshardingOperation): string[] {
  return [...new Set([...op.source.shards, ...op.target.shards])];
}

/** Moving documents copied so far. */
export function documentsCopied(op: ReshardingOperation): number {
  return op.sources.reduce((sum, s) => sum + s.copied, 0);
}

/** Documents the copy has looked at on every source. */
export function documentsScanned(op: ReshardingOperation): number {
  return op.sources.reduce((sum, s) => sum + (s.scanned ?? 0), 0);
}

/** Whether CancelResharding may still roll the operation back: running, and no source fenced. */
export function cancellable(op: ReshardingOperation): boolean {
  return op.state === "RUNNING" && (op.phase === "PREPARING" || op.phase === "COPYING" || op.phase === "CATCHING_UP");
}

/** Records an error, keeping the latest RESHARDING_ERRORS_KEPT_MAX. */
export function noteError(op: ReshardingOperation, message: string): void {
  op.errors.push(message);
  if (op.errors.length > RESHARDING_ERRORS_KEPT_MAX) op.errors.splice(0, op.errors.length - RESHARDING_ERRORS_KEPT_MAX);
}
