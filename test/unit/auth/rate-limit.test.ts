/**
 * Rate limiting's pure parts in Node: the counter keys, the retry delay,
 * the refusal's wire shape, fake bindings, and wrangler.toml's bindings
 * against RATE_LIMIT_PERIOD_S. The router past a real (Miniflare) limiter
 * is test/workerd/rate-limit.test.ts.
 */
import { BinaryReader } from "@bufbuild/protobuf/wire";
import { Code, ConnectError } from "@connectrpc/connect";
import { describe, expect, it, vi } from "vitest";
import { experimental_readRawConfig } from "wrangler";
import { RATE_LIMIT_PERIOD_S, RATE_LIMIT_RETRY_DELAY_MS_MIN } from "../../../src/auth/limits.js";
import { ANONYMOUS_ADMIN, type Principal } from "../../../src/auth/principal.js";
import { credentialKey, databaseKey, enforceRateLimits, retryDelayMs } from "../../../src/auth/rate-limit.js";
import { rateLimitedError, RETRY_AFTER_HEADER, RETRY_INFO_TYPE } from "../../../src/errors.js";

const key: Principal = { kind: "api_key", subject: "0123456789abcdef", roles: { default: "read_write" }, expiresAtMs: null, claims: {} };
const PERIOD_MS = RATE_LIMIT_PERIOD_S * 1000;

/** A binding that allows `limit` calls per key, recording the keys it saw. */
function fakeLimiter(limit: number) {
  const counts = new Map<string, number>();
  return {
    keys: [] as string[],
    async limit({ key }: { key: string }) {
      this.keys.push(key);
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return { success: n <= limit };
    },
  };
}

async function refusal(p: Promise<unknown>): Promise<ConnectError | null> {
  try {
    await p;
    return null;
  } catch (err) {
    return ConnectError.from(err);
  }
}

describe("rate limits", () => {
  it("counts API keys and JWT subjects in separate key spaces, and never the anonymous caller", () => {
    expect(credentialKey(key)).toBe("api_key:0123456789abcdef");
    expect(credentialKey({ ...key, kind: "jwt" })).toBe("jwt:0123456789abcdef");
    expect(credentialKey(ANONYMOUS_ADMIN)).toBeNull();
  });

  it("counts databases by id, every malformed name under one key", () => {
    expect(databaseKey("default")).toBe("database:default");
    expect(databaseKey("*")).toBe("database:*");
    expect(databaseKey("Not A Name".repeat(1000))).toBe("database:(malformed)");
    expect(databaseKey("")).toBe("database:(malformed)");
  });

  it("asks to wait until the window ends, at least RATE_LIMIT_RETRY_DELAY_MS_MIN", () => {
    expect(retryDelayMs(10 * PERIOD_MS)).toBe(PERIOD_MS);
    expect(retryDelayMs(10 * PERIOD_MS + 1500)).toBe(PERIOD_MS - 1500);
    expect(retryDelayMs(11 * PERIOD_MS - 1)).toBe(RATE_LIMIT_RETRY_DELAY_MS_MIN);
  });

  it("refuses with RESOURCE_EXHAUSTED, a google.rpc.RetryInfo detail and retry-after", () => {
    const error = rateLimitedError("slow down", 2_250);
    expect(error.code).toBe(Code.ResourceExhausted);
    expect(error.metadata.get(RETRY_AFTER_HEADER)).toBe("3");
    const detail = error.details[0] as { type: string; value: Uint8Array };
    expect(detail.type).toBe(RETRY_INFO_TYPE);
    const outer = new BinaryReader(detail.value);
    expect(outer.tag()[0]).toBe(1);
    const duration = new BinaryReader(outer.bytes());
    expect(duration.tag()[0]).toBe(1);
    expect(Number(duration.int64())).toBe(2);
    expect(duration.tag()[0]).toBe(2);
    expect(duration.int32()).toBe(250_000_000);
    expect(() => rateLimitedError("x", 0)).toThrow(/positive/);
  });

  it("refuses past the key's limit or the database's, whichever comes first", async () => {
    const perKey = fakeLimiter(2);
    const perDatabase = fakeLimiter(3);
    const env = { RATE_LIMIT_PER_KEY: perKey, RATE_LIMIT_PER_DATABASE: perDatabase };
    const other: Principal = { ...key, subject: "fedcba9876543210" };
    expect(await refusal(enforceRateLimits(env, key, "default", 0))).toBeNull();
    expect(await refusal(enforceRateLimits(env, key, "default", 0))).toBeNull();
    expect((await refusal(enforceRateLimits(env, key, "default", 0)))?.rawMessage).toMatch(/for this credential/);
    // The database has counted three calls by now: the other key's first is its fourth.
    expect((await refusal(enforceRateLimits(env, other, "default", 0)))?.rawMessage).toMatch(/for database "default"/);
    expect(await refusal(enforceRateLimits(env, other, "elsewhere", 0))).toBeNull();
    expect(perKey.keys).toContain("api_key:fedcba9876543210");
    expect(perDatabase.keys).toContain("database:elsewhere");
  });

  it("does not limit what has no binding, nor the anonymous caller per key, and lets calls through when a binding fails", async () => {
    expect(await refusal(enforceRateLimits({}, key, "default", 0))).toBeNull();
    const perKey = fakeLimiter(0);
    expect(await refusal(enforceRateLimits({ RATE_LIMIT_PER_KEY: perKey }, ANONYMOUS_ADMIN, "default", 0))).toBeNull();
    expect(perKey.keys).toEqual([]);
    const log = vi.spyOn(console, "error").mockImplementation(() => {});
    const broken = { limit: async () => Promise.reject(new Error("limiter down")) };
    expect(await refusal(enforceRateLimits({ RATE_LIMIT_PER_KEY: broken }, key, "default", 0))).toBeNull();
    expect(log).toHaveBeenCalledOnce();
    log.mockRestore();
  });

  it("is bound in every deployed environment of wrangler.toml, with RATE_LIMIT_PERIOD_S as its period", () => {
    const { rawConfig } = experimental_readRawConfig({ config: "wrangler.toml" });
    expect(rawConfig.ratelimits ?? []).toEqual([]);
    for (const name of ["development", "staging", "production"]) {
      const limits: ReadonlyArray<{ name: string; simple: { limit: number; period: number } }> = rawConfig.env?.[name]?.ratelimits ?? [];
      expect(limits.map((l) => l.name).sort(), name).toEqual(["RATE_LIMIT_PER_DATABASE", "RATE_LIMIT_PER_KEY"]);
      for (const l of limits) {
        expect(l.simple.period, `${name} ${l.name}`).toBe(RATE_LIMIT_PERIOD_S);
        expect(l.simple.limit, `${name} ${l.name}`).toBeGreaterThan(0);
      }
    }
  });
});
