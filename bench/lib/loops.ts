/**
 * The two ways of offering load.
 *
 * Closed loop: `concurrency` callers, each issuing its next request when the
 * last one answers. It finds the throughput a system sustains, but a slow
 * answer also delays the requests that would have followed it, so its
 * latencies flatter the system (coordinated omission).
 *
 * Open loop: requests are issued on a fixed schedule (`ratePerSecond`),
 * whether or not earlier ones have answered, and each latency is measured
 * from when the request was DUE, not from when it went out. A stall shows up
 * in every request it delayed.
 *
 * Latencies go into an HDR histogram in microseconds.
 */
import * as hdr from "hdr-histogram-js";

/** One request: resolves when the system has answered. */
export type Operation = () => Promise<void>;

/** Longest latency the histograms track (2 minutes); longer ones are clamped and counted. */
const LATENCY_US_MAX = 120_000_000;
/** Open loop: requests allowed in flight before the run is declared saturated and stops issuing. */
const OPEN_LOOP_IN_FLIGHT_MAX = 20_000;
/** Open loop: how long to wait for requests still in flight after the schedule ends. */
const DRAIN_MS_MAX = 30_000;
/** Open loop: scheduler tick. */
const TICK_MS = 1;

export interface LoopResult {
  readonly ops: number;
  /** Requests answered, warm-up included. */
  readonly allOps: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly seconds: number;
  readonly opsPerSecond: number;
  readonly histogram: hdr.Histogram;
  /** Open loop only: true when the system fell so far behind that issuing stopped. */
  readonly saturated?: boolean;
}

export function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: LATENCY_US_MAX, numberOfSignificantValueDigits: 3 });
}

function record(h: hdr.Histogram, startMs: number, endMs: number): void {
  h.recordValue(Math.min(LATENCY_US_MAX, Math.max(1, Math.round((endMs - startMs) * 1000))));
}

/** Runs `concurrency` callers for warm-up plus measurement; only requests issued after the warm-up count. */
export async function closedLoop(
  nextOperation: () => Operation,
  options: { concurrency: number; warmupMs: number; measureMs: number },
): Promise<LoopResult> {
  const histogram = newHistogram();
  const t0 = performance.now();
  const measureFrom = t0 + options.warmupMs;
  const end = measureFrom + options.measureMs;
  let ops = 0;
  let allOps = 0;
  let errors = 0;
  let firstError: string | null = null;
  const caller = async () => {
    let calls = 0;
    for (;;) {
      // Build the request before the clock starts: generating keys and documents is the harness's cost, not the system's.
      const op = nextOperation();
      const start = performance.now();
      if (start >= end) break;
      try {
        await op();
        const done = performance.now();
        allOps++;
        if (start >= measureFrom) {
          record(histogram, start, done);
          ops++;
        }
      } catch (err) {
        errors++;
        firstError ??= String(err);
      }
      // A synchronous system (in-process SQLite) would otherwise never let timers run.
      if (++calls % 256 === 0) await new Promise((r) => setImmediate(r));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, caller));
  const seconds = (Math.max(performance.now(), end) - measureFrom) / 1000;
  return { ops, allOps, errors, firstError, seconds, opsPerSecond: ops / seconds, histogram };
}

/** Issues requests at `ratePerSecond` on a fixed schedule; latency counts from each request's due time. */
export async function openLoop(
  nextOperation: () => Operation,
  options: { ratePerSecond: number; warmupMs: number; measureMs: number },
): Promise<LoopResult> {
  const histogram = newHistogram();
  const intervalMs = 1000 / options.ratePerSecond;
  const t0 = performance.now();
  const measureFrom = t0 + options.warmupMs;
  const end = measureFrom + options.measureMs;
  let issued = 0;
  let inFlight = 0;
  let ops = 0;
  let allOps = 0;
  let errors = 0;
  let firstError: string | null = null;
  let saturated = false;
  let lastDone = measureFrom;
  const pending = new Set<Promise<void>>();
  const issue = (dueMs: number) => {
    const counted = dueMs >= measureFrom;
    inFlight++;
    const p = nextOperation()()
      .then(
        () => {
          const done = performance.now();
          allOps++;
          if (counted) {
            record(histogram, dueMs, done);
            ops++;
            lastDone = done;
          }
        },
        (err: unknown) => {
          errors++;
          firstError ??= String(err);
        },
      )
      .finally(() => {
        inFlight--;
        pending.delete(p);
      });
    pending.add(p);
  };
  while (!saturated) {
    const now = performance.now();
    for (let due = t0 + issued * intervalMs; due <= now && due < end; due = t0 + issued * intervalMs) {
      if (inFlight >= OPEN_LOOP_IN_FLIGHT_MAX) {
        saturated = true;
        break;
      }
      issue(due);
      issued++;
    }
    if (t0 + issued * intervalMs >= end) break;
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const drainDeadline = performance.now() + DRAIN_MS_MAX;
  while (pending.size > 0 && performance.now() < drainDeadline) {
    await Promise.race([Promise.race(pending), new Promise((r) => setTimeout(r, 100))]);
  }
  if (pending.size > 0) {
    saturated = true;
    errors += pending.size;
    firstError ??= `${pending.size} requests still unanswered ${DRAIN_MS_MAX} ms after the schedule ended`;
  }
  const seconds = (Math.max(lastDone, end) - measureFrom) / 1000;
  return { ops, allOps, errors, firstError, seconds, opsPerSecond: ops / seconds, histogram, saturated };
}

/** The figures a result file keeps from a histogram (microseconds). */
export function summarize(h: hdr.Histogram) {
  return {
    p50Us: h.getValueAtPercentile(50),
    p99Us: h.getValueAtPercentile(99),
    p999Us: h.getValueAtPercentile(99.9),
    maxUs: h.maxValue,
    meanUs: Math.round(h.mean),
    /** The whole histogram, HdrHistogram's compressed base64 form, for re-analysis. */
    hdrBase64: hdr.encodeIntoCompressedBase64(h),
  };
}
