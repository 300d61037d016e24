/**
 * The hot-document phase: on every system, ONE document written by
 * `hotConcurrency` clients at once (closed loop), each request an
 * increment (workloads/hot-document.ts). The document is created empty
 * first; after the run its `n` is read back and must equal the increments
 * the system acknowledged (warm-up included) when none failed: a lost
 * update is a failure of the run, not a figure.
 */
import type { ModeSettings } from "../config.js";
import type { RunningSystem } from "../systems/types.js";
import { ACKNOWLEDGED, HOT_DOCUMENT_ID, HOT_FIELD, hotDocument } from "../workloads/hot-document.js";
import type { Measure } from "./extended-phases.js";
import type { RunRecord } from "./results.js";

/** What the phase measured: one closed-loop run per system, and any lost update. */
export interface HotPhaseResult {
  readonly runs: RunRecord[];
  readonly failures: string[];
}

/** Runs the hot-document workload on each system in turn. */
export async function runHotPhase(env: { systems: readonly RunningSystem[]; mode: ModeSettings; measure: Measure; log: (line: string) => void }): Promise<HotPhaseResult> {
  const { systems, mode, measure, log } = env;
  const runs: RunRecord[] = [];
  const failures: string[] = [];
  for (const system of systems) {
    await system.driver.put(HOT_DOCUMENT_ID, {});
    const record = await measure(system, hotDocument, "closed", mode.hotConcurrency, { warmupMs: mode.warmupMs, measureMs: mode.measureMs });
    runs.push(record);
    const stored = (await system.driver.get(HOT_DOCUMENT_ID))?.data as Record<string, unknown> | undefined;
    const acknowledged = record.counters[ACKNOWLEDGED] ?? 0;
    const n = typeof stored?.[HOT_FIELD] === "number" ? (stored[HOT_FIELD] as number) : 0;
    // A failed request may or may not have applied; with none, the count must be exact.
    if (record.errors === 0 ? n !== acknowledged : n < acknowledged) {
      failures.push(`hot-document on ${system.id}: n is ${n} after ${acknowledged} acknowledged increments (${record.errors} errors)`);
    }
    log(`hot-document ${system.id}: ${Math.round(record.opsPerSecond)} increments/s at ${mode.hotConcurrency} clients, p99 ${(record.latency.p99Us / 1000).toFixed(1)} ms; n = ${n} after ${acknowledged} acknowledged`);
  }
  return { runs, failures };
}
