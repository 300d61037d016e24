import { execFileSync } from "node:child_process";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// The Worker bundles the web console's build output (dist/console, not
// committed); build it first so these tests never load a missing or stale one.
execFileSync(process.execPath, ["scripts/build-console.mjs"], { stdio: "inherit" });

// Objects and RPC, tested inside workerd against real SQLite-backed Durable
// Objects. Storage is isolated per test file.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      // Small rate limits for test/workerd/rate-limit.test.ts, which puts
      // them in an Env of its own; the top-level configuration has none.
      miniflare: {
        ratelimits: {
          TEST_RATE_LIMIT_PER_KEY: { namespace_id: "9001", simple: { limit: 3, period: 60 } },
          TEST_RATE_LIMIT_PER_DATABASE: { namespace_id: "9002", simple: { limit: 3, period: 60 } },
          TEST_RATE_LIMIT_10S: { namespace_id: "9003", simple: { limit: 3, period: 10 } },
        },
      },
    }),
  ],
  test: {
    include: ["test/workerd/**/*.test.ts"],
    // Crash tests reset Durable Objects on purpose (ctx.abort at a
    // failpoint); the runtime then rejects that object's pending promises.
    // Those rejections, and only those, are expected.
    onUnhandledError(error) {
      const e = error as { message?: string; durableObjectReset?: boolean };
      return !(e.durableObjectReset === true && /^failpoint /.test(e.message ?? ""));
    },
    // The Worker logs one JSON line per RPC (src/server/observe.ts); tests
    // make thousands of calls, so those lines are dropped here, leaving
    // what tests print themselves. observability.test.ts reads them with a
    // spy on console.log, which sees them before this filter does.
    onConsoleLog(log) {
      return !log.startsWith('{"method":"impossibledb.');
    },
    // Seeded simulations print their seed; replay one with BANK_SEED=<seed>
    // (bank.test.ts) or CONTENTION_SEED=<seed> (contention.test.ts).
    provide: {
      bankSeed: Number(process.env.BANK_SEED ?? Date.now() % 1_000_000),
      bankTransfers: Number(process.env.BANK_TRANSFERS ?? 2000),
      contentionSeed: Number(process.env.CONTENTION_SEED ?? Date.now() % 1_000_000),
    },
  },
});
