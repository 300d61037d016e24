import { describe, expect, it } from "vitest";
import { principalOf, type ApiKeyRecord } from "../../../src/auth/api-key-record.js";
import { apiKeyIdOf, newApiKey, sha256Hex, timingSafeEqual } from "../../../src/auth/secrets.js";

describe("API key secrets", () => {
  it("carry their id, and only well-formed ones parse", () => {
    const key = newApiKey();
    expect(key.secret).toMatch(/^idb_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    expect(apiKeyIdOf(key.secret)).toBe(key.id);
    expect(apiKeyIdOf(key.secret + "x")).toBeNull();
    expect(apiKeyIdOf("idb_XYZ_abc")).toBeNull();
    expect(newApiKey().secret).not.toBe(key.secret);
  });

  it("compare equal only when equal", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "ab")).toBe(false);
  });

  it("hash to SHA-256 hex", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });
});

describe("verifying a stored key", () => {
  const record = async (over: Partial<ApiKeyRecord> = {}): Promise<ApiKeyRecord> => ({
    id: "0123456789abcdef",
    secretHash: await sha256Hex("the-secret"),
    displayName: "",
    roles: { a: "read_only" },
    createTimeMs: 0,
    expireTimeMs: null,
    revokeTimeMs: null,
    ...over,
  });

  it("accepts the right secret and returns its roles", async () => {
    const p = principalOf(await record(), await sha256Hex("the-secret"), 1000);
    expect(p).toMatchObject({ kind: "api_key", subject: "0123456789abcdef", roles: { a: "read_only" } });
  });

  it("refuses a wrong secret and an unknown key with the same message", async () => {
    expect(() => principalOf(null, "x", 0)).toThrow(/^\[unauthenticated\] the API key is not valid$/);
    const wrong = await sha256Hex("other");
    const stored = await record();
    expect(() => principalOf(stored, wrong, 0)).toThrow(/^\[unauthenticated\] the API key is not valid$/);
  });

  it("refuses revoked and expired keys", async () => {
    const hash = await sha256Hex("the-secret");
    const revoked = await record({ revokeTimeMs: 5 });
    expect(() => principalOf(revoked, hash, 10)).toThrow(/revoked/);
    const expiring = await record({ expireTimeMs: 100 });
    expect(principalOf(expiring, hash, 99).subject).toBe("0123456789abcdef");
    expect(() => principalOf(expiring, hash, 100)).toThrow(/\[unauthenticated\] the API key has expired/);
  });
});
