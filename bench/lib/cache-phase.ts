/**
 * The document-cache phase (issue 13, item 6): YCSB C (point gets, zipfian
 * keys) on ImpossibleDB as deployed (shard document cache on) and on a
 * second Worker of the same configuration with SHARD_DOCUMENT_CACHE=off,
 * the same records in each, in alternating rounds, so the ratio cache on /
 * off comes from one run. Starts and stops the second Worker itself.
 */
import type { ModeSettings } from "../config.js";
import { startImpossibleDb } from "../systems/impossibledb.js";
import type { RunningSystem } from "../systems/types.js";
import { ycsbC } from "../workloads/ycsb.js";
import { createDocument } from "./document.js";
import { createRandom, recordId } from "./keys.js";
import type { MeasureRun } from "./measure.js";
import type { RunRecord } from "./results.js";

/** The workload id the phase's runs carry, and the system id of the cache-off Worker. */
export const CACHE_WORKLOAD_ID = "ycsb-c-cache";
export const CACHE_OFF_SYSTEM_ID = "impossibledb-cache-off";
/** Alternating rounds per side. */
const ROUNDS = 2;

/** What the phase measured: each round's run per side, and the averaged ratios on / off. */
export interface CachePhaseResult {
  readonly runs: RunRecord[];
  readonly opsRatio: number;
  readonly cpuPerGetRatio: number;
  readonly p50Ratio: number;
}

/** Loads the YCSB records (the main run's, from the same seed) into `system`. */
async function loadRecords(system: RunningSystem, mode: ModeSettings, seed: number): Promise<void> {
  const random = createRandom(seed);
  for (let start = 0; start < mode.recordCount; start += mode.batchSize) {
    const end = Math.min(mode.recordCount, start + mode.batchSize);
    await system.driver.batchPut(Array.from({ length: end - start }, (_, i) => [recordId(start + i), createDocument(random)] as const));
  }
}

/**
 * Runs the phase against `cacheOn` (an ImpossibleDB with the cache on whose
 * records are loaded, or loaded here when `loadOn`), starting the cache-off
 * Worker on `offPort`.
 */
export async function runCachePhase(env: {
  cacheOn: RunningSystem;
  offPort: number;
  mode: ModeSettings;
  seed: number;
  measure: MeasureRun;
  log: (line: string) => void;
  loadOn?: boolean;
}): Promise<CachePhaseResult> {
  const { cacheOn, mode, measure, log } = env;
  const off = await startImpossibleDb({ port: env.offPort, shardCount: 8, socketsMax: mode.concurrency, documentCache: false });
  try {
    if (env.loadOn === true) await loadRecords(cacheOn, mode, env.seed);
    await loadRecords(off, mode, env.seed);
    const runs: RunRecord[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const [label, system] of [["on", cacheOn], ["off", off]] as const) {
        const record = await measure(system, ycsbC, "closed", mode.concurrency);
        runs.push({ ...record, workload: CACHE_WORKLOAD_ID, system: label === "on" ? cacheOn.id : CACHE_OFF_SYSTEM_ID });
        log(`document cache ${label}, round ${round + 1}: ${Math.round(record.opsPerSecond)} gets/s, ${Math.round(record.serverCpuUsPerOp)} µs workerd CPU/get`);
      }
    }
    const mean = (system: string, f: (r: RunRecord) => number) => runs.filter((r) => r.system === system).reduce((a, r) => a + f(r), 0) / ROUNDS;
    const ratio = (f: (r: RunRecord) => number) => mean(cacheOn.id, f) / mean(CACHE_OFF_SYSTEM_ID, f);
    return { runs, opsRatio: ratio((r) => r.opsPerSecond), cpuPerGetRatio: ratio((r) => r.serverCpuUsPerOp), p50Ratio: ratio((r) => r.latency.p50Us) };
  } finally {
    await off.stop();
  }
}
