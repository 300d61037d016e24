import { defineConfig } from "vitest/config";

// The browser test: headless Chromium runs the SDK against the Worker at
// IMPOSSIBLEDB_URL. Run it through the harness: `npm run test:e2e`.
export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
