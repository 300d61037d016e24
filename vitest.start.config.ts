import { defineConfig } from "vitest/config";

// `npm start` itself (scripts/start.mjs): each test starts its own servers
// on free ports and ends them in the ways a user would (a closed terminal,
// a killed process), then checks nothing is left. Run by the end-to-end
// harness as the "start" suite; it needs `npm run build` first.
export default defineConfig({
  test: {
    include: ["test/e2e/start/**/*.test.ts"],
    environment: "node",
    // Starting wrangler and workerd takes 10-60 s on a busy 2-core machine.
    testTimeout: 180_000,
    hookTimeout: 30_000,
    fileParallelism: false,
  },
});
