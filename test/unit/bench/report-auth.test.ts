/**
 * The auth phase's report: ratios divide by the baseline at the same
 * workload and concurrency, and the goal lines judge every other variant
 * against AUTH_RATIO_GOAL.
 */
import { describe, expect, it } from "vitest";
import { AUTH_MODES, AUTH_VARIANTS, type AuthPhaseResult, type AuthRun } from "../../../bench/lib/auth-phase.js";
import { AUTH_RATIO_GOAL, authGoals, authSection } from "../../../bench/lib/report-auth.js";

function run(variant: string, workload: string, concurrency: number, p50Us: number, opsPerSecond: number, cpuUs: number): AuthRun {
  const latency = { p50Us, p99Us: p50Us * 2, p999Us: p50Us * 3, maxUs: p50Us * 4, meanUs: p50Us, hdrBase64: "" };
  return { variant, workload, concurrency, ops: 100, errors: 0, firstError: null, opsPerSecond, latency, serverCpuUsPerOp: cpuUs };
}

const result: AuthPhaseResult = {
  settings: AUTH_MODES.quick,
  concurrency: 8,
  variants: AUTH_VARIANTS.map(({ id, label, credential, rateLimits }) => ({ id, label, credential, rateLimits })),
  runs: [
    run("no-auth", "ycsb-c", 1, 1000, 900, 400),
    run("api-key-limits", "ycsb-c", 1, 1050, 850, 420),
    run("no-auth", "ycsb-c", 8, 4000, 2000, 500),
    run("api-key-limits", "ycsb-c", 8, 5000, 1600, 600),
  ],
  failures: [],
};

describe("the auth report", () => {
  it("divides by the baseline at the same workload and concurrency", () => {
    const table = authSection(result).join("\n");
    expect(table).toContain("| ycsb-c | 1 | api-key-limits | 850 | 1.05 | 2.10 | 420 | 1.05x | 1.06x | 1.05x |");
    expect(table).toContain("| ycsb-c | 8 | api-key-limits | 1,600 | 5.00 | 10.00 | 600 | 1.25x | 1.25x | 1.20x |");
  });

  it("judges every variant but the baseline: p50 with one in flight, CPU per request at full concurrency", () => {
    expect(AUTH_RATIO_GOAL).toBe(1.1);
    expect(authGoals(result)).toEqual([
      "| api-key-limits / no-auth, ycsb-c, p50 latency, 1 in flight (Miniflare's local limiter) | 1.05x | ≤ 1.10x (met) |",
      "| api-key-limits / no-auth, ycsb-c, workerd CPU per request, 8 in flight (Miniflare's local limiter) | 1.20x | ≤ 1.10x (not met) |",
    ]);
  });
});
