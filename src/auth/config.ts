/**
 * Authentication's configuration, read from the Worker's vars and secrets:
 *
 * - AUTH_MODE: `off` (every call is allowed: local development) or
 *   `required`; unset means `required`. Staging and production refuse `off`.
 * - ADMIN_BOOTSTRAP_KEY (secret): a token that is an admin of every
 *   database, for making the first real key; delete it afterwards.
 * - JWT_ISSUER, JWT_AUDIENCE and one of JWT_JWKS_URL or JWT_SECRET (secret,
 *   HS256/384/512): accept JWTs from an identity provider. JWT_CLOCK_SKEW_S:
 *   the skew allowed on exp/nbf (default JWT_CLOCK_SKEW_S_DEFAULT).
 *
 * A broken configuration is not thrown: it becomes `misconfigured`, and every
 * call is refused with a message saying what to fix.
 */
import { BOOTSTRAP_KEY_CHARS_MIN, JWT_CLOCK_SKEW_S_DEFAULT, JWT_CLOCK_SKEW_S_MAX, JWT_SECRET_CHARS_MIN } from "./limits.js";
import { sha256Hex } from "./secrets.js";

/** How JWTs are checked. */
export interface JwtConfig {
  readonly issuer: string;
  readonly audience: string;
  readonly clockSkewS: number;
  readonly key: { readonly kind: "secret"; readonly secret: Uint8Array } | { readonly kind: "jwks"; readonly url: URL };
}

/** What the interceptor enforces. */
export type AuthConfig =
  | { readonly mode: "off" }
  | { readonly mode: "required"; readonly bootstrapKeyHash: string | null; readonly jwt: JwtConfig | null }
  | { readonly mode: "misconfigured"; readonly message: string };

/** The vars authentication reads (a part of Env, src/env.ts, which documents each). */
export interface AuthEnv {
  readonly ENVIRONMENT: string;
  readonly AUTH_MODE?: string;
  readonly ADMIN_BOOTSTRAP_KEY?: string;
  readonly JWT_ISSUER?: string;
  readonly JWT_AUDIENCE?: string;
  readonly JWT_JWKS_URL?: string;
  readonly JWT_SECRET?: string;
  readonly JWT_CLOCK_SKEW_S?: string;
}

/** Environments where auth can never be off. */
const PROTECTED_ENVIRONMENTS: ReadonlySet<string> = new Set(["staging", "production"]);

/** Parses the configuration (hashing the bootstrap key once). */
export async function authConfig(env: AuthEnv): Promise<AuthConfig> {
  const mode = env.AUTH_MODE ?? "required";
  if (mode !== "off" && mode !== "required") return misconfigured(`AUTH_MODE must be "off" or "required", got ${JSON.stringify(mode)}`);
  if (mode === "off") {
    if (PROTECTED_ENVIRONMENTS.has(env.ENVIRONMENT)) return misconfigured(`AUTH_MODE "off" is not allowed in ${env.ENVIRONMENT}; set it to "required"`);
    return { mode: "off" };
  }
  const bootstrap = env.ADMIN_BOOTSTRAP_KEY;
  if (bootstrap !== undefined && bootstrap !== "" && bootstrap.length < BOOTSTRAP_KEY_CHARS_MIN) {
    return misconfigured(`ADMIN_BOOTSTRAP_KEY must have at least ${BOOTSTRAP_KEY_CHARS_MIN} characters`);
  }
  const jwt = jwtConfig(env);
  if (typeof jwt === "string") return misconfigured(jwt);
  const bootstrapKeyHash = bootstrap === undefined || bootstrap === "" ? null : await sha256Hex(bootstrap);
  return { mode: "required", bootstrapKeyHash, jwt };
}

/** The JWT part: null when no JWT var is set, a message when it is half set. */
function jwtConfig(env: AuthEnv): JwtConfig | null | string {
  const { JWT_ISSUER: issuer, JWT_AUDIENCE: audience, JWT_JWKS_URL: jwksUrl, JWT_SECRET: secret } = env;
  const set = [issuer, audience, jwksUrl, secret].filter((v) => v !== undefined && v !== "");
  if (set.length === 0) return null;
  if (!issuer || !audience) return "JWT_ISSUER and JWT_AUDIENCE must both be set to accept JWTs";
  if (!!jwksUrl === !!secret) return "set exactly one of JWT_JWKS_URL and JWT_SECRET to accept JWTs";
  const skewText = env.JWT_CLOCK_SKEW_S;
  const clockSkewS = skewText === undefined || skewText === "" ? JWT_CLOCK_SKEW_S_DEFAULT : Number(skewText);
  if (!Number.isInteger(clockSkewS) || clockSkewS < 0 || clockSkewS > JWT_CLOCK_SKEW_S_MAX) {
    return `JWT_CLOCK_SKEW_S must be an integer from 0 to ${JWT_CLOCK_SKEW_S_MAX}, got ${JSON.stringify(skewText)}`;
  }
  if (secret) {
    if (secret.length < JWT_SECRET_CHARS_MIN) return `JWT_SECRET must have at least ${JWT_SECRET_CHARS_MIN} characters`;
    return { issuer, audience, clockSkewS, key: { kind: "secret", secret: new TextEncoder().encode(secret) } };
  }
  let url: URL;
  try {
    url = new URL(jwksUrl!);
  } catch {
    return `JWT_JWKS_URL is not a URL: ${JSON.stringify(jwksUrl)}`;
  }
  if (url.protocol !== "https:" && url.hostname !== "localhost" && url.hostname !== "127.0.0.1") return "JWT_JWKS_URL must be https";
  return { issuer, audience, clockSkewS, key: { kind: "jwks", url } };
}

function misconfigured(problem: string): AuthConfig {
  return { mode: "misconfigured", message: `authentication is misconfigured: ${problem} (see docs/security.md)` };
}

/**
 * How to configure a deployment that has no way in yet; appended to the
 * UNAUTHENTICATED answer when no bootstrap key and no JWT issuer are set.
 */
export const HOW_TO_CONFIGURE =
  "this deployment has no ADMIN_BOOTSTRAP_KEY and no JWT issuer configured: set one " +
  "(`wrangler secret put ADMIN_BOOTSTRAP_KEY --env <env>`, or JWT_ISSUER, JWT_AUDIENCE and JWT_JWKS_URL) " +
  "and create API keys with AdminService.CreateApiKey (see docs/security.md)";
