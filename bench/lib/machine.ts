/** The machine a run happened on, and how busy it was (the cores are shared). */
import { cpus, loadavg, totalmem } from "node:os";
import { availableParallelism } from "node:os";

export interface MachineInfo {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  /** 1-minute load average when the run started and ended: above nproc means others were using the cores. */
  readonly loadAverage1mStart: number;
  loadAverage1mEnd?: number;
}

export function machineInfo(): MachineInfo {
  return {
    nproc: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAverage1mStart: loadavg()[0]!,
  };
}

export function currentLoadAverage(): number {
  return loadavg()[0]!;
}
