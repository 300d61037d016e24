import { defineConfig } from "vitest/config";

// End-to-end tests in Node against a running local server: the Worker at
// IMPOSSIBLEDB_URL and the gRPC front door at IMPOSSIBLEDB_GRPC_TARGET.
// Run them through the harness, which starts both: `npm run test:e2e`.
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    // These run as suites of their own (test/e2e/suites.mjs): the docs'
    // commands (README.md, docs/*.md) empty the database before each page, and `npm start`'s tests start servers.
    exclude: ["test/e2e/docs/**", "test/e2e/start/**", "test/e2e/auth/**"],
    environment: "node",
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // One shared server on a 2-core machine: files run one after another.
    fileParallelism: false,
  },
});
