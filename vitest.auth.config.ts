import { defineConfig } from "vitest/config";

// Authentication end to end (test/e2e/auth): starts a server of its own with
// auth required, on free ports, beside the harness's (auth off) one. Run it
// through the harness: `node scripts/e2e-server.mjs --suite auth`.
export default defineConfig({
  test: {
    include: ["test/e2e/auth/**/*.test.ts"],
    environment: "node",
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
