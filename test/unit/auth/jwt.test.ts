import { exportJWK, generateKeyPair, createLocalJWKSet, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import type { JwtConfig } from "../../../src/auth/config.js";
import { verifyJwt } from "../../../src/auth/jwt.js";

const SECRET = "a-shared-secret-of-at-least-32-characters!";
const NOW_S = 1_800_000_000;
const secretConfig: JwtConfig = { issuer: "https://idp.test", audience: "impossibledb", clockSkewS: 60, key: { kind: "secret", secret: new TextEncoder().encode(SECRET) } };

function hs256(claims: Record<string, unknown>, over: { iss?: string; aud?: string; exp?: number; secret?: string } = {}): Promise<string> {
  return new SignJWT({ sub: "user-1", impossibledb_roles: { default: "read_write" }, ...claims })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuer(over.iss ?? "https://idp.test")
    .setAudience(over.aud ?? "impossibledb")
    .setIssuedAt(NOW_S)
    .setExpirationTime(over.exp ?? NOW_S + 600)
    .sign(new TextEncoder().encode(over.secret ?? SECRET));
}

const at = { nowMs: NOW_S * 1000 };

describe("JWTs with a shared secret", () => {
  it("verify, and their claims and roles become the principal", async () => {
    const p = await verifyJwt(await hs256({ email: "a@b.test" }), secretConfig, at);
    expect(p).toMatchObject({ kind: "jwt", subject: "user-1", roles: { default: "read_write" } });
    expect(p.claims.email).toBe("a@b.test");
  });

  it("refuse a wrong issuer, audience, signature and an expired token", async () => {
    await expect(verifyJwt(await hs256({}, { iss: "https://evil.test" }), secretConfig, at)).rejects.toThrow(/\[unauthenticated\].*iss/);
    await expect(verifyJwt(await hs256({}, { aud: "other" }), secretConfig, at)).rejects.toThrow(/\[unauthenticated\].*aud/);
    await expect(verifyJwt(await hs256({}, { secret: "another-secret-of-at-least-32-characters" }), secretConfig, at)).rejects.toThrow(/\[unauthenticated\] the token's signature does not verify/);
    await expect(verifyJwt(await hs256({}, { exp: NOW_S - 61 }), secretConfig, at)).rejects.toThrow(/\[unauthenticated\] the token has expired/);
    await expect(verifyJwt("not.a.jwt", secretConfig, at)).rejects.toThrow(/\[unauthenticated\]/);
  });

  it("allow the configured clock skew and no more", async () => {
    await expect(verifyJwt(await hs256({}, { exp: NOW_S - 30 }), secretConfig, at)).resolves.toBeDefined();
    await expect(verifyJwt(await hs256({}, { exp: NOW_S - 30 }), { ...secretConfig, clockSkewS: 0 }, at)).rejects.toThrow(/expired/);
  });

  it("refuse a token without exp, and an unsigned one", async () => {
    const noExp = await new SignJWT({}).setProtectedHeader({ alg: "HS256" }).setIssuer("https://idp.test").setAudience("impossibledb").sign(new TextEncoder().encode(SECRET));
    await expect(verifyJwt(noExp, secretConfig, at)).rejects.toThrow(/\[unauthenticated\].*exp/);
    const [, payload] = (await hs256({})).split(".");
    const none = `${btoa(JSON.stringify({ alg: "none" })).replace(/=+$/, "")}.${payload}.`;
    await expect(verifyJwt(none, secretConfig, at)).rejects.toThrow(/\[unauthenticated\]/);
  });

  it("grant nothing for malformed role claims", async () => {
    const p = await verifyJwt(await hs256({ impossibledb_roles: { default: "owner", other: "admin", x: 3 } }), secretConfig, at);
    expect(p.roles).toEqual({ other: "admin" });
  });
});

describe("JWTs against a JWKS", () => {
  it("verify with the provider's key and refuse another key's signature", async () => {
    const provider = await generateKeyPair("ES256");
    const attacker = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(provider.publicKey)), kid: "k1", alg: "ES256" };
    const keySet = createLocalJWKSet({ keys: [jwk] });
    const config: JwtConfig = { ...secretConfig, key: { kind: "jwks", url: new URL("https://idp.test/jwks") } };
    const sign = (key: CryptoKey) =>
      new SignJWT({ sub: "u2" }).setProtectedHeader({ alg: "ES256", kid: "k1" }).setIssuer("https://idp.test").setAudience("impossibledb").setExpirationTime(NOW_S + 60).sign(key);
    await expect(verifyJwt(await sign(provider.privateKey), config, { ...at, keySet })).resolves.toMatchObject({ subject: "u2", roles: {} });
    await expect(verifyJwt(await sign(attacker.privateKey), config, { ...at, keySet })).rejects.toThrow(/\[unauthenticated\] the token's signature does not verify/);
    // An HS256 token cannot pass as a JWKS one (algorithm confusion).
    await expect(verifyJwt(await hs256({}), config, { ...at, keySet })).rejects.toThrow(/\[unauthenticated\]/);
  });
});
