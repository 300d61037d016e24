/**
 * The harness's settings: the two modes, the ports it may use, and where
 * things live. Every number here is a choice of the benchmark, not of
 * ImpossibleDB, and is recorded in the result file.
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const RESULTS_DIR = path.join(REPO_ROOT, "bench", "results");

/**
 * Ports the harness listens on (the bench range; never the lead's 8787/8788).
 * BENCH_PORT_BASE moves them all (base + 11, + 12, ..., + 32), so two people
 * can run the bench on one machine at once.
 */
const PORT_BASE = Number(process.env["BENCH_PORT_BASE"] ?? 19400);
export const PORTS = {
  impossibleDb: PORT_BASE + 11,
  floor: PORT_BASE + 12,
  frontDoor: PORT_BASE + 13,
  /** The auth phase's Workers, one per variant (bench/lib/auth-phase.ts): base + 14, + 15, ... */
  authFirst: PORT_BASE + 14,
  /** The document-cache phase's Worker with the cache off (bench/lib/cache-phase.ts). */
  cacheOff: PORT_BASE + 20,
  /** workerd's V8 inspector while `npm run bench:profile` records a CPU profile. */
  inspector: PORT_BASE + 29,
  postgres: PORT_BASE + 32,
} as const;

export interface ModeSettings {
  readonly name: "quick" | "full";
  /** Documents loaded before the workloads run (YCSB recordcount). */
  readonly recordCount: number;
  /** Closed-loop: requests in flight at all times. */
  readonly concurrency: number;
  /** Time measured per (system, workload, loop), after the warm-up. */
  readonly measureMs: number;
  readonly warmupMs: number;
  /** Batch runs: requests in flight, and documents per request. */
  readonly batchConcurrency: number;
  readonly batchSize: number;
  /** Open-loop rate as a fraction of the slowest system's closed-loop throughput on the same workload. */
  readonly openLoopLoadFraction: number;
  /** Time measured per profiling probe. */
  readonly probeMs: number;
  /** The hot-document workload: clients incrementing one document at once (closed loop). */
  readonly hotConcurrency: number;
}

export const MODES: Record<"quick" | "full", ModeSettings> = {
  quick: {
    name: "quick",
    recordCount: 1_000,
    concurrency: 8,
    measureMs: 1_000,
    warmupMs: 300,
    batchConcurrency: 4,
    batchSize: 100,
    openLoopLoadFraction: 0.5,
    probeMs: 1_000,
    hotConcurrency: 32,
  },
  full: {
    name: "full",
    recordCount: 10_000,
    concurrency: 8,
    measureMs: 5_000,
    warmupMs: 1_000,
    batchConcurrency: 4,
    batchSize: 100,
    openLoopLoadFraction: 0.5,
    probeMs: 3_000,
    hotConcurrency: 32,
  },
};

/** The collection every system stores the YCSB documents in. */
export const COLLECTION = "usertable";

/** Listeners attached in the listen phase, one run each (the Listen issue's 1, 10 and 100). */
export const LISTENER_COUNTS: readonly number[] = [1, 10, 100];
/** The most listeners open at once: the listen transport allows one socket (one HTTP/1.1 stream) each. */
export const LISTENERS_MAX = Math.max(...LISTENER_COUNTS);
