/**
 * JWTs from an external identity provider, verified with `jose` (Web
 * Crypto, so it runs in Workers) against a JWKS URL or a shared secret, with
 * the configured issuer, audience and clock skew; `exp` is required.
 *
 * Roles come from the `impossibledb_roles` claim (`{database: role}`, `*` for
 * every database). A valid token without it authenticates but grants
 * nothing until security rules come (every call: PERMISSION_DENIED).
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { JwtConfig } from "./config.js";
import { parseRole, type Role } from "./permissions.js";
import type { Principal } from "./principal.js";

/** The claim that carries a JWT's roles. */
export const ROLES_CLAIM = "impossibledb_roles";

const SECRET_ALGORITHMS = ["HS256", "HS384", "HS512"];
const JWKS_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];

/** One remote key set per URL per isolate: jose caches the keys it fetched. */
const remoteKeySets = new Map<string, JWTVerifyGetKey>();

/** Options of {@link verifyJwt}, for tests. */
export interface VerifyJwtOptions {
  /** Replaces the JWKS fetched from the configured URL. */
  readonly keySet?: JWTVerifyGetKey;
  /** The current time in ms; the clock when unset. */
  readonly nowMs?: number;
}

/**
 * Verifies `token` and returns its principal. Throws UNAUTHENTICATED for
 * any bad token (signature, issuer, audience, expiry, shape) and UNAVAILABLE
 * when the JWKS cannot be fetched.
 */
export async function verifyJwt(token: string, config: JwtConfig, options: VerifyJwtOptions = {}): Promise<Principal> {
  const verifyOptions = {
    issuer: config.issuer,
    audience: config.audience,
    clockTolerance: config.clockSkewS,
    requiredClaims: ["exp"],
    currentDate: options.nowMs === undefined ? undefined : new Date(options.nowMs),
  };
  let payload: Record<string, unknown>;
  try {
    if (config.key.kind === "secret") {
      payload = (await jwtVerify(token, config.key.secret, { ...verifyOptions, algorithms: SECRET_ALGORITHMS })).payload;
    } else {
      const keySet = options.keySet ?? remoteKeySet(config.key.url);
      payload = (await jwtVerify(token, keySet, { ...verifyOptions, algorithms: JWKS_ALGORITHMS })).payload;
    }
  } catch (err) {
    throw jwtError(err, config.key.kind === "jwks");
  }
  const exp = payload.exp as number;
  return {
    kind: "jwt",
    subject: typeof payload.sub === "string" ? payload.sub : "",
    roles: rolesFromClaim(payload[ROLES_CLAIM]),
    expiresAtMs: exp * 1000 + config.clockSkewS * 1000,
    claims: payload,
  };
}

function remoteKeySet(url: URL): JWTVerifyGetKey {
  let set = remoteKeySets.get(url.href);
  if (set === undefined) {
    set = createRemoteJWKSet(url);
    remoteKeySets.set(url.href, set);
  }
  return set;
}

/** The valid entries of a roles claim; anything malformed grants nothing. */
function rolesFromClaim(claim: unknown): Record<string, Role> {
  const roles: Record<string, Role> = {};
  if (typeof claim !== "object" || claim === null || Array.isArray(claim)) return roles;
  for (const [database, value] of Object.entries(claim)) {
    const role = parseRole(value);
    if (role !== null) roles[database] = role;
  }
  return roles;
}

function jwtError(err: unknown, remote: boolean): ConnectError {
  // A key set that cannot be fetched (a timeout, or fetch's own TypeError) is
  // the provider's outage, not the caller's bad token.
  if (remote && (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError))) {
    return new ConnectError("the identity provider's key set could not be fetched; retry the call", Code.Unavailable);
  }
  if (err instanceof errors.JWTExpired) return new ConnectError("the token has expired", Code.Unauthenticated);
  if (err instanceof errors.JWTClaimValidationFailed) return new ConnectError(`the token is not valid here: ${err.message}`, Code.Unauthenticated);
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return new ConnectError("the token's signature does not verify", Code.Unauthenticated);
  }
  return new ConnectError("the token is not a valid JWT", Code.Unauthenticated);
}
