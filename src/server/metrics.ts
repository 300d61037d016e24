/**
 * Per-method call counts and latency histograms, kept in the memory of one
 * Worker isolate. On Cloudflare every isolate has its own and starts from
 * zero, so what AdminService.GetMetrics returns is a local, debugging view,
 * not a fleet-wide aggregate.
 *
 * Latencies go into fixed buckets whose bounds double from
 * LATENCY_BUCKET_FIRST_MS, the last one open-ended: memory per method is a
 * constant and a percentile is the upper bound of its bucket (at most twice
 * the true value), capped at the largest latency seen. Pure: no clock, no
 * globals; the caller passes durations in.
 */
import { LATENCY_BUCKET_COUNT, LATENCY_BUCKET_FIRST_MS, METRICS_METHODS_MAX } from "../limits.js";

/** The entry that counts calls of methods past METRICS_METHODS_MAX. */
export const OTHER_METHODS = "(other)";

/** One method's numbers, in one database, at one moment. */
export interface MethodMetricsSnapshot {
  readonly method: string;
  /** The database the calls addressed; "" for the overflow entry, which counts every database. */
  readonly database: string;
  readonly count: number;
  readonly countByCode: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The metrics of one isolate. */
export interface Metrics {
  /** When counting began, in ms since the epoch: the first call recorded (or the first snapshot, if sooner). */
  readonly startTimeMs: number;
  /**
   * Counts one finished call of `method` in `database` (`default` unless
   * given) that ended with `code` (a Connect code name, `ok` on success).
   */
  record(method: string, code: string, durationMs: number, database?: string): void;
  /** Every (method, database) entry's numbers, sorted by method name, then database. */
  snapshot(): MethodMetricsSnapshot[];
}

interface MethodEntry {
  count: number;
  readonly byCode: Map<string, number>;
  readonly buckets: number[];
  maxMs: number;
}

/** Options of {@link createMetrics}. */
export interface MetricsOptions {
  /**
   * The clock, in ms since the epoch. It is read on first use, not when the
   * metrics are created: a Worker builds them at module load, where the
   * clock reads 0 (Workers stop time outside a request).
   */
  readonly nowMs: () => number;
  /** Distinct methods kept apart; METRICS_METHODS_MAX unless given (tests use fewer). */
  readonly methodsMax?: number;
}

/** Creates an empty set of metrics. */
export function createMetrics(options: MetricsOptions): Metrics {
  const methodsMax = options.methodsMax ?? METRICS_METHODS_MAX;
  if (!(methodsMax >= 1)) throw new Error("invariant broken: methodsMax must be at least 1");
  // Keyed by JSON [method, database]: one entry per method and database,
  // METRICS_METHODS_MAX of them in all (databases share the bound).
  const methods = new Map<string, MethodEntry>();
  const overflowKey = JSON.stringify([OTHER_METHODS, ""]);
  let startTimeMs: number | undefined;
  const start = () => (startTimeMs ??= options.nowMs());
  const entryFor = (method: string, database: string): MethodEntry => {
    const wanted = JSON.stringify([method, database]);
    const key = methods.has(wanted) || methods.size < methodsMax - 1 ? wanted : overflowKey;
    let entry = methods.get(key);
    if (entry === undefined) {
      entry = { count: 0, byCode: new Map(), buckets: new Array<number>(LATENCY_BUCKET_COUNT).fill(0), maxMs: 0 };
      methods.set(key, entry);
    }
    return entry;
  };
  return {
    get startTimeMs() {
      return start();
    },
    record(method, code, durationMs, database = "default") {
      start();
      const ms = Number.isFinite(durationMs) && durationMs > 0 ? durationMs : 0;
      const entry = entryFor(method, database);
      entry.count++;
      entry.byCode.set(code, (entry.byCode.get(code) ?? 0) + 1);
      entry.buckets[bucketOf(ms)]!++;
      entry.maxMs = Math.max(entry.maxMs, ms);
      if (methods.size > methodsMax) throw new Error("invariant broken: more metric entries than methodsMax");
    },
    snapshot() {
      const byName = (a: readonly string[], b: readonly string[]) => (a[0]! !== b[0]! ? (a[0]! < b[0]! ? -1 : 1) : a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0);
      return [...methods.entries()]
        .map(([key, e]) => [JSON.parse(key) as [string, string], e] as const)
        .sort(([a], [b]) => byName(a, b))
        .map(([[method, database], e]) => ({
          method,
          database,
          count: e.count,
          countByCode: Object.fromEntries(e.byCode),
          p50Ms: percentileMs(e, 0.5),
          p99Ms: percentileMs(e, 0.99),
          maxMs: e.maxMs,
        }));
    },
  };
}

/** The upper bound of bucket `i`, in ms; Infinity for the last. */
export function bucketUpperMs(i: number): number {
  return i >= LATENCY_BUCKET_COUNT - 1 ? Infinity : LATENCY_BUCKET_FIRST_MS * 2 ** i;
}

/** The bucket a latency falls in: the first whose upper bound is at least `ms`. */
export function bucketOf(ms: number): number {
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) if (ms <= bucketUpperMs(i)) return i;
  throw new Error("invariant broken: the last latency bucket is open-ended");
}

function percentileMs(e: MethodEntry, q: number): number {
  if (e.count === 0) return 0;
  const rank = Math.max(1, Math.ceil(q * e.count));
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKET_COUNT; i++) {
    seen += e.buckets[i]!;
    if (seen >= rank) return Math.min(bucketUpperMs(i), e.maxMs);
  }
  throw new Error("invariant broken: bucket counts sum to the call count");
}
