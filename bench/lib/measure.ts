/**
 * One measured run of a workload on a system: a closed or open loop with a
 * seeded random stream of its own, the system's CPU metered around it,
 * summarised as a RunRecord. Shared by `run.ts` and the runs of one
 * workload alone (`hot.ts`).
 */
import type { ModeSettings } from "../config.js";
import type { RunningSystem } from "../systems/types.js";
import type { ReadyWorkload } from "../workloads/types.js";
import { startCpuMeter } from "./cpu.js";
import type { PhaseTiming } from "./extended-phases.js";
import { createKeyChooser, createRandom } from "./keys.js";
import { closedLoop, openLoop, summarize, type LoopResult } from "./loops.js";
import type { RunRecord } from "./results.js";

/** Runs one workload on one system; each call gets the next seed after `seed`. */
export type MeasureRun = (system: RunningSystem, workload: ReadyWorkload, loop: "closed" | "open", concurrencyOrRate: number, timing?: PhaseTiming) => Promise<RunRecord>;

/** A measure function for `mode`, whose runs take seeds `seed + 1`, `seed + 2`, ... */
export function createMeasure(mode: ModeSettings, seed: number): MeasureRun {
  let streamSeed = seed;

  return async function measure(
    system: RunningSystem,
    workload: ReadyWorkload,
    loop: "closed" | "open",
    concurrencyOrRate: number,
    timing: PhaseTiming = { warmupMs: mode.warmupMs, measureMs: mode.measureMs },
  ): Promise<RunRecord> {
    const counters: Record<string, number> = {};
    const random = createRandom(++streamSeed);
    const ctx = {
      driver: system.driver,
      random,
      nextKey: createKeyChooser(mode.recordCount, streamSeed),
      recordCount: mode.recordCount,
      batchSize: mode.batchSize,
      counters,
    };
    const next = () => workload.next(ctx);
    const meter = await startCpuMeter(system.serverPids);
    const result: LoopResult =
      loop === "closed"
        ? await closedLoop(next, { concurrency: concurrencyOrRate, ...timing })
        : await openLoop(next, { ratePerSecond: concurrencyOrRate, ...timing });
    const cpu = await meter.stop();
    const docsPerOp = workload.kind === "batch" ? mode.batchSize : 1;
    return {
      workload: workload.id,
      system: system.id,
      loop,
      ...(loop === "closed" ? { concurrency: system.concurrent ? concurrencyOrRate : 1 } : { ratePerSecond: concurrencyOrRate }),
      ops: result.ops,
      errors: result.errors,
      firstError: result.firstError,
      opsPerSecond: result.opsPerSecond,
      docsPerSecond: result.opsPerSecond * docsPerOp,
      latency: summarize(result.histogram),
      harnessCores: cpu.harnessCores,
      serverCores: cpu.serverCores,
      serverCpuUsPerOp: (cpu.serverCpuSeconds * 1e6) / Math.max(1, result.allOps),
      harnessCpuUsPerOp: (cpu.harnessCpuSeconds * 1e6) / Math.max(1, result.allOps),
      counters,
      ...(result.saturated === undefined ? {} : { saturated: result.saturated }),
    };
  };
}
