/** The result file's shape (bench/results/<mode>-latest.json). */
import type { MachineInfo } from "./machine.js";
import type { ProbeResult } from "./profile.js";
import type { ShardShare } from "./capacity.js";
import type { ModeSettings } from "../config.js";
import type { ExtendedResults } from "./extended-phases.js";
import type { AuthPhaseResult } from "./auth-phase.js";
import type { CachePhaseResult } from "./cache-phase.js";

export interface LatencySummary {
  readonly p50Us: number;
  readonly p99Us: number;
  readonly p999Us: number;
  readonly maxUs: number;
  readonly meanUs: number;
  readonly hdrBase64: string;
}

export interface RunRecord {
  readonly workload: string;
  readonly system: string;
  readonly loop: "closed" | "open";
  /** Closed: requests in flight. Open: the offered rate (requests/s). */
  readonly concurrency?: number;
  readonly ratePerSecond?: number;
  readonly ops: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly opsPerSecond: number;
  /** Documents per second (ops × documents per request). */
  readonly docsPerSecond: number;
  readonly latency: LatencySummary;
  /** CPU of the harness (load generator) and of the server's processes, in cores (1.0 = one core busy). */
  readonly harnessCores: number;
  readonly serverCores: number;
  /** CPU per request (warm-up included, as the meter spans it), microseconds: robust to other work on the machine, unlike throughput. */
  readonly serverCpuUsPerOp: number;
  readonly harnessCpuUsPerOp: number;
  readonly counters: Record<string, number>;
  readonly saturated?: boolean;
}

export interface BenchResults {
  readonly harness: { mode: ModeSettings; seed: number; command: string; startedAt: string; durationSeconds?: number };
  readonly machine: MachineInfo;
  readonly systems: Array<{ id: string; label: string; setup: string }>;
  readonly notYetMeasured: Array<{ id: string; title: string; reason: string }>;
  readonly load: Array<{ system: string; docs: number; seconds: number; docsPerSecond: number }>;
  readonly runs: RunRecord[];
  profile?: { probes: ProbeResult[]; codecUs: Record<string, number> };
  capacity?: { shares: ShardShare[]; modelRecords: number };
  /** Transactions, bank transfers and the query set (bench/lib/extended-phases.ts). */
  extended?: ExtendedResults;
  /** The document-cache phase: its runs (cache on and off) and ratios (bench/lib/cache-phase.ts). */
  cache?: CachePhaseResult;
  /** The hot-document phase's settings and any lost update (bench/lib/hot-phase.ts); its runs are in `runs`. */
  hot?: { concurrency: number; failures: string[] };
  /** Point get and indexed query with auth, as ratios to without (bench/lib/auth-phase.ts). */
  auth?: AuthPhaseResult;
}
