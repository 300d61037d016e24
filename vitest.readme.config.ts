import { defineConfig } from "vitest/config";

// The README's snippets, run as written against the harness's fresh server
// (the "readme" suite, first in test/e2e/suites.mjs). One file, one step
// after another: later snippets depend on what earlier ones wrote.
export default defineConfig({
  test: {
    include: ["test/e2e/readme/**/*.test.ts"],
    environment: "node",
    testTimeout: 90_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
