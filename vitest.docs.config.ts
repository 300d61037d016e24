import { defineConfig } from "vitest/config";

// The commands of README.md and docs/*.md, run as written against the
// harness's server (the "docs" suite, first in test/e2e/suites.mjs). One
// file, one step after another: a page's later commands depend on what its
// earlier ones wrote.
export default defineConfig({
  test: {
    include: ["test/e2e/docs/**/*.test.ts"],
    environment: "node",
    testTimeout: 90_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    // Every step by name, so the output lists what ran and each `no-run`
    // block that did not, with its file and line.
    reporters: ["verbose"],
  },
});
