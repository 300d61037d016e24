/**
 * The auth phase's table and goal lines (bench/lib/auth-phase.ts): each
 * variant's figures on each workload and loop, and its ratio to the
 * baseline's (auth off) in the same run: the median of the per-round
 * ratios (each round measures the variant and the baseline seconds apart),
 * which the goal lines judge, and the pooled ratio (all rounds merged).
 */
import { AUTH_BASELINE, type AuthPhaseResult, type AuthRun } from "./auth-phase.js";

/** The goal: auth costs at most 10% (Security issue). */
export const AUTH_RATIO_GOAL = 1.1;

const ms = (us: number) => (us / 1000).toFixed(2);
const ratio = (x: number) => `${x.toFixed(2)}x`;

/** The median of `xs` (not empty). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new Error("median of no values");
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median over rounds of run's figure over the baseline's figure in the same round. */
export function medianRoundRatio(run: AuthRun, base: AuthRun, figure: keyof AuthRun["perRound"][number]): number {
  const rounds = Math.min(run.perRound.length, base.perRound.length);
  const ratios: number[] = [];
  for (let i = 0; i < rounds; i++) ratios.push(run.perRound[i]![figure] / base.perRound[i]![figure]);
  return median(ratios);
}

function baselineOf(r: AuthPhaseResult, run: AuthRun): AuthRun | undefined {
  return r.runs.find((b) => b.variant === AUTH_BASELINE.id && b.workload === run.workload && b.concurrency === run.concurrency);
}

/** The section: settings, one table, and what the ratios mean. */
export function authSection(r: AuthPhaseResult): string[] {
  const s = r.settings;
  const rows: string[] = [];
  for (const run of [...r.runs].sort((a, b) => a.workload.localeCompare(b.workload) || a.concurrency - b.concurrency || order(r, a) - order(r, b))) {
    const base = baselineOf(r, run);
    const isBase = run.variant === AUTH_BASELINE.id;
    const none = base === undefined || isBase;
    const p50 = none ? "" : ratio(medianRoundRatio(run, base, "p50Us"));
    const p50Pooled = none ? "" : ratio(run.latency.p50Us / base.latency.p50Us);
    const tput = none ? "" : ratio(base.opsPerSecond / run.opsPerSecond);
    const cpu = none ? "" : ratio(medianRoundRatio(run, base, "serverCpuUsPerOp"));
    const cpuPooled = none ? "" : ratio(run.serverCpuUsPerOp / base.serverCpuUsPerOp);
    rows.push(
      `| ${run.workload} | ${run.concurrency} | ${run.variant} | ${Math.round(run.opsPerSecond).toLocaleString("en-US")} | ${ms(run.latency.p50Us)} | ${ms(run.latency.p99Us)} | ${Math.round(run.serverCpuUsPerOp)} | ${p50} | ${p50Pooled} | ${cpu} | ${cpuPooled} | ${tput} |`,
    );
  }
  return [
    `### Authentication (point get and indexed query, with auth as a ratio to without)`,
    "",
    `Each variant is its own Worker (8 shards, same bundle), loaded with the same ${s.records.toLocaleString("en-US")} records and ${s.orders.toLocaleString("en-US")} orders; over ${s.rounds} rounds, each (workload, loop) is measured for every variant back to back (order rotating each round), ${s.measureMs / 1000} s per turn after ${s.warmupMs / 1000} s warm-up. Ratios divide by \`${AUTH_BASELINE.id}\` at the same workload and concurrency; above 1 means slower. "median" is the median of the ${s.rounds} per-round ratios (variant and baseline measured seconds apart); "pooled" divides the figures of all rounds merged; ops/s, p50, p99 and CPU are pooled. "time ratio" is baseline throughput / variant throughput, pooled. Variants: ${r.variants.map((v) => `\`${v.id}\` = ${v.label}`).join("; ")}.`,
    "",
    "| workload | in flight | variant | ops/s | p50 ms | p99 ms | workerd CPU µs/op | p50 ratio, median | p50 ratio, pooled | CPU/op ratio, median | CPU/op ratio, pooled | time ratio |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows,
    "",
  ];
}

/**
 * Goal lines, for every variant but the baseline: its p50 ratio with one in
 * flight, and its workerd CPU per request ratio at full concurrency, each
 * the median of the per-round ratios (the pooled ratio beside it, for
 * comparison). The rate-limited variant's lines measure Miniflare's local
 * limiter, not Cloudflare's (bench/README.md).
 */
export function authGoals(r: AuthPhaseResult): string[] {
  const lines: string[] = [];
  for (const variant of r.variants.filter((v) => v.id !== AUTH_BASELINE.id)) {
    for (const run of r.runs.filter((x) => x.variant === variant.id).sort((a, b) => a.workload.localeCompare(b.workload) || a.concurrency - b.concurrency)) {
      const base = baselineOf(r, run);
      if (base === undefined) continue;
      const latency = run.concurrency === 1;
      const value = medianRoundRatio(run, base, latency ? "p50Us" : "serverCpuUsPerOp");
      const pooled = latency ? run.latency.p50Us / base.latency.p50Us : run.serverCpuUsPerOp / base.serverCpuUsPerOp;
      const what = latency ? "p50 latency, 1 in flight" : `workerd CPU per request, ${run.concurrency} in flight`;
      const local = variant.rateLimits ? " (Miniflare's local limiter)" : "";
      lines.push(`| ${variant.id} / ${AUTH_BASELINE.id}, ${run.workload}, ${what}${local} | ${ratio(value)} median of ${run.perRound.length} rounds (${ratio(pooled)} pooled) | ≤ ${AUTH_RATIO_GOAL.toFixed(2)}x ${value <= AUTH_RATIO_GOAL ? "(met)" : "(not met)"} |`);
    }
  }
  return lines;
}

function order(r: AuthPhaseResult, run: AuthRun): number {
  return r.variants.findIndex((v) => v.id === run.variant);
}
