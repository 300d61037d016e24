/**
 * The auth phase's report: ratios divide by the baseline at the same
 * workload and concurrency, per round and pooled; the goal lines judge every
 * other variant against AUTH_RATIO_GOAL by the median of the per-round
 * ratios, so that one turn a neighbour's burst slowed does not decide it.
 */
import { describe, expect, it } from "vitest";
import { AUTH_MODES, AUTH_VARIANTS, type AuthPhaseResult, type AuthRoundFigure, type AuthRun } from "../../../bench/lib/auth-phase.js";
import { AUTH_RATIO_GOAL, authGoals, authSection, median } from "../../../bench/lib/report-auth.js";

function run(variant: string, workload: string, concurrency: number, p50Us: number, opsPerSecond: number, cpuUs: number, perRound: AuthRoundFigure[]): AuthRun {
  const latency = { p50Us, p99Us: p50Us * 2, p999Us: p50Us * 3, maxUs: p50Us * 4, meanUs: p50Us, hdrBase64: "" };
  return { variant, workload, concurrency, ops: 100, errors: 0, firstError: null, opsPerSecond, latency, serverCpuUsPerOp: cpuUs, perRound };
}

const rounds = (p50s: number[], cpus: number[]): AuthRoundFigure[] => p50s.map((p50Us, i) => ({ p50Us, serverCpuUsPerOp: cpus[i]! }));

const result: AuthPhaseResult = {
  settings: AUTH_MODES.quick,
  concurrency: 8,
  variants: AUTH_VARIANTS.map(({ id, label, credential, rateLimits }) => ({ id, label, credential, rateLimits })),
  runs: [
    // Round 2 of the baseline and round 3 of the variant were slowed by a neighbour: pooled, the variant reads 1.20x p50.
    run("no-auth", "ycsb-c", 1, 1000, 900, 400, rounds([1000, 3000, 1000], [400, 400, 400])),
    run("api-key-limits", "ycsb-c", 1, 1200, 850, 420, rounds([1050, 1040, 3000], [420, 410, 430])),
    run("no-auth", "ycsb-c", 8, 4000, 2000, 500, rounds([4000, 4000, 4000], [500, 500, 500])),
    run("api-key-limits", "ycsb-c", 8, 5000, 1600, 600, rounds([5000, 5000, 5000], [600, 560, 640])),
  ],
  failures: [],
};

describe("the auth report", () => {
  it("gives the median of per-round ratios beside the pooled ratio, each against the baseline at the same workload and concurrency", () => {
    const table = authSection(result).join("\n");
    // p50 per round 1.05, 0.35, 3.00 -> median 1.05; pooled 1200/1000; CPU per round 1.05, 1.025, 1.075 -> 1.05; pooled 420/400.
    expect(table).toContain("| ycsb-c | 1 | api-key-limits | 850 | 1.20 | 2.40 | 420 | 1.05x | 1.20x | 1.05x | 1.05x | 1.06x |");
    expect(table).toContain("| ycsb-c | 8 | api-key-limits | 1,600 | 5.00 | 10.00 | 600 | 1.25x | 1.25x | 1.20x | 1.20x | 1.25x |");
  });

  it("judges by the median of rounds: p50 with one in flight, CPU per request at full concurrency", () => {
    expect(AUTH_RATIO_GOAL).toBe(1.1);
    expect(authGoals(result)).toEqual([
      "| api-key-limits / no-auth, ycsb-c, p50 latency, 1 in flight (Miniflare's local limiter) | 1.05x median of 3 rounds (1.20x pooled) | ≤ 1.10x (met) |",
      "| api-key-limits / no-auth, ycsb-c, workerd CPU per request, 8 in flight (Miniflare's local limiter) | 1.20x median of 3 rounds (1.20x pooled) | ≤ 1.10x (not met) |",
    ]);
  });

  it("takes the middle value, and the mean of the two middle ones for an even count", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(() => median([])).toThrow();
  });

  it("runs an odd number of rounds in every mode, so the median is one round's ratio", () => {
    for (const settings of Object.values(AUTH_MODES)) expect(settings.rounds % 2).toBe(1);
  });
});
