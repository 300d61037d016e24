import { describe, expect, it } from "vitest";
import { authConfig, type AuthEnv } from "../../../src/auth/config.js";

const base: AuthEnv = { ENVIRONMENT: "development" };
const BOOT = "b".repeat(32);

describe("auth configuration", () => {
  it("is required unless AUTH_MODE is off", async () => {
    expect((await authConfig(base)).mode).toBe("required");
    expect((await authConfig({ ...base, AUTH_MODE: "off" })).mode).toBe("off");
    expect(await authConfig({ ...base, AUTH_MODE: "maybe" })).toMatchObject({ mode: "misconfigured", message: /AUTH_MODE/ });
  });

  it("refuses off in staging and production", async () => {
    for (const ENVIRONMENT of ["staging", "production"]) {
      expect(await authConfig({ ENVIRONMENT, AUTH_MODE: "off" })).toMatchObject({ mode: "misconfigured", message: /not allowed in/ });
    }
  });

  it("hashes the bootstrap key and refuses a short one", async () => {
    const config = await authConfig({ ...base, ADMIN_BOOTSTRAP_KEY: BOOT });
    expect(config).toMatchObject({ mode: "required", jwt: null });
    expect(config.mode === "required" && config.bootstrapKeyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(await authConfig({ ...base, ADMIN_BOOTSTRAP_KEY: "short" })).toMatchObject({ mode: "misconfigured", message: /ADMIN_BOOTSTRAP_KEY/ });
  });

  it("needs issuer, audience and exactly one key source for JWTs", async () => {
    const jwt = { JWT_ISSUER: "https://idp.test", JWT_AUDIENCE: "idb" };
    expect(await authConfig({ ...base, JWT_ISSUER: "https://idp.test" })).toMatchObject({ mode: "misconfigured" });
    expect(await authConfig({ ...base, ...jwt })).toMatchObject({ mode: "misconfigured", message: /exactly one/ });
    expect(await authConfig({ ...base, ...jwt, JWT_SECRET: "s".repeat(32), JWT_JWKS_URL: "https://idp.test/jwks" })).toMatchObject({ mode: "misconfigured" });
    expect(await authConfig({ ...base, ...jwt, JWT_JWKS_URL: "http://idp.test/jwks" })).toMatchObject({ mode: "misconfigured", message: /https/ });
    expect(await authConfig({ ...base, ...jwt, JWT_SECRET: "s".repeat(32), JWT_CLOCK_SKEW_S: "3600" })).toMatchObject({ mode: "misconfigured", message: /JWT_CLOCK_SKEW_S/ });
    const ok = await authConfig({ ...base, ...jwt, JWT_JWKS_URL: "https://idp.test/jwks" });
    expect(ok).toMatchObject({ mode: "required", jwt: { issuer: "https://idp.test", audience: "idb", clockSkewS: 60, key: { kind: "jwks" } } });
  });
});
