/**
 * The resharding benchmark's settings (`npm run bench:reshard`), one set per
 * mode. Every number is a choice of the benchmark, not of ImpossibleDB, and
 * is recorded in the result file.
 */

export interface ReshardSettings {
  readonly name: "quick" | "full";
  /** YCSB records loaded before the load starts (the issue asks for 100,000). */
  readonly recordCount: number;
  /** Shards before and after: the 8 -> 12. */
  readonly sourceShards: number;
  readonly targetShards: number;
  /** BatchWriteDocuments while loading: documents per call (the API's maximum) and calls in flight. */
  readonly loadBatchSize: number;
  readonly loadConcurrency: number;
  /** YCSB-A callers, each with one request in flight (closed loop), before, during and after the move. */
  readonly concurrency: number;
  /** Load run before the measured "before" period, not counted. */
  readonly warmupMs: number;
  /** The measured periods on either side of the move. */
  readonly beforeMs: number;
  readonly afterMs: number;
  /** How often GetResharding is polled while the move runs (its phase changes are timed to this). */
  readonly pollMs: number;
  /** A move still running after this long fails the run. */
  readonly reshardTimeoutMs: number;
  /** The most popular records (zipfian ranks 0..n-1) whose gaps between writes are reported. */
  readonly hotKeys: number;
}

export const RESHARD_MODES: Record<"quick" | "full", ReshardSettings> = {
  quick: {
    name: "quick",
    recordCount: 10_000,
    sourceShards: 8,
    targetShards: 12,
    loadBatchSize: 500,
    loadConcurrency: 4,
    concurrency: 8,
    warmupMs: 2_000,
    beforeMs: 10_000,
    afterMs: 5_000,
    pollMs: 100,
    reshardTimeoutMs: 120_000,
    hotKeys: 8,
  },
  full: {
    name: "full",
    recordCount: 100_000,
    sourceShards: 8,
    targetShards: 12,
    loadBatchSize: 500,
    loadConcurrency: 4,
    concurrency: 8,
    warmupMs: 3_000,
    beforeMs: 30_000,
    afterMs: 15_000,
    pollMs: 100,
    reshardTimeoutMs: 900_000,
    hotKeys: 8,
  },
};

/** `--shrink`'s shards before and after (the issue's shrink test: 12 → 6). */
export const SHRINK_FROM_SHARDS = 12;
export const SHRINK_TO_SHARDS = 6;
