import { defineConfig } from "vitest/config";

// Pure modules (routing, validation, the two-phase-commit state machine, the
// query core) are tested here in plain Node, without workerd.
export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "clients/ts/test/**/*.test.ts"],
    environment: "node",
  },
});
