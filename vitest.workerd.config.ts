import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Objects and RPC, tested inside workerd against real SQLite-backed Durable
// Objects. Storage is isolated per test file.
export default defineConfig({
  plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" } })],
  test: {
    include: ["test/workerd/**/*.test.ts"],
  },
});
