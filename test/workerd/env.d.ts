import type { Env as WorkerEnv } from "../../src/env.js";

declare global {
  namespace Cloudflare {
    interface Env extends WorkerEnv {
      /** Small rate limits (vitest.workerd.config.ts), for rate-limit.test.ts. */
      TEST_RATE_LIMIT_PER_KEY: RateLimit;
      TEST_RATE_LIMIT_PER_DATABASE: RateLimit;
      /** 3 calls per 10 s window, for the SDK's wait-and-succeed test. */
      TEST_RATE_LIMIT_10S: RateLimit;
    }
  }
}

declare module "vitest" {
  export interface ProvidedContext {
    bankSeed: number;
    bankTransfers: number;
    contentionSeed: number;
  }
}
