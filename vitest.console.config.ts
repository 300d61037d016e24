import { defineConfig } from "vitest/config";

// The web console in headless Chromium against the Worker at
// IMPOSSIBLEDB_URL, which serves it at /console. Run it through the harness:
// `npm run build && node scripts/e2e-server.mjs --suite console`.
// Screenshots of each panel land in test-results/console/.
export default defineConfig({
  test: {
    include: ["test/console/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // One browser, one page, panels visited in order: the steps build on each other.
    fileParallelism: false,
  },
});
