/**
 * Progress bars on stderr, only when stderr is a terminal: piped or
 * redirected output (scripts, CI, tests) stays free of escape codes.
 */
import cliProgress from "cli-progress";

/** A bar, or nothing when stderr is not a terminal. */
export interface Progress {
  /** Adds `n` to the count done. */
  increment(n: number): void;
  /** Ends the bar. */
  stop(): void;
}

/** A bar labelled `label` counting to `total` units named `unit`. */
export function createProgress(label: string, total: number, unit: string): Progress {
  if (process.stderr.isTTY !== true) return { increment() {}, stop() {} };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: `${label} [{bar}] {value}/{total} ${unit} | {percentage}% | ETA {eta_formatted}`, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  bar.start(Math.max(total, 1), 0);
  return {
    increment: (n) => bar.increment(n),
    stop: () => bar.stop(),
  };
}
