/**
 * The authentication interceptor: runs before validation and before any
 * object is called, on every RPC of every service. It finds who is calling
 * (an API key, the bootstrap key, or a JWT, sent as
 * `authorization: Bearer <credential>`), then whether that caller holds the
 * permission the method needs (permissions.ts) on the database the request
 * names (the `impossibledb-database` header, `default` when absent).
 *
 * UNAUTHENTICATED: no credential, or a bad one. PERMISSION_DENIED: a valid
 * credential without the right; its message names only the method's
 * permission and the database the caller itself named, never whether a
 * document or database exists. Streams are authorized when they start;
 * a long-lived stream checks again as it goes (`reauthorizeKey`).
 *
 * RESOURCE_EXHAUSTED with retry information: an authorized caller over its
 * credential's or its database's rate limit (rate-limit.ts). Checked at the
 * door, once per call (a stream counts once, when it starts), so a refused
 * call never reaches an object.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { JWTVerifyGetKey } from "jose";
import type { Env } from "../env.js";
import { envKey } from "../server/context.js";
import { verifyApiKey } from "./api-keys.js";
import { databaseOf } from "./database.js";
import { authConfig, HOW_TO_CONFIGURE, type AuthConfig } from "./config.js";
import { verifyJwt } from "./jwt.js";
import { enforceRateLimits } from "./rate-limit.js";
import { AUTHORIZATION_HEADER_CHARS_MAX } from "./limits.js";
import { ALL_DATABASE_METHODS, ALL_DATABASES, requiredPermission, rolesGrant } from "./permissions.js";
import { ANONYMOUS_ADMIN, authKey, reauthorizeKey, type Principal } from "./principal.js";
import { API_KEY_PREFIX, sha256Hex, timingSafeEqual } from "./secrets.js";

/** Options of {@link createAuthInterceptor}, for tests. */
export interface AuthInterceptorOptions {
  /** Replaces the JWKS fetched from JWT_JWKS_URL. */
  readonly jwtKeySet?: JWTVerifyGetKey;
  /** The clock, in ms since the epoch. */
  readonly nowMs?: () => number;
}

/**
 * Parsed configuration per Env object (one per isolate in production). It
 * holds settled configurations, never a pending parse: a request must not
 * await a promise another request made (docs/architecture.md, "Requests
 * never await each other").
 */
const configs = new WeakMap<Env, AuthConfig>();

/** Builds the interceptor; see the module comment. */
export function createAuthInterceptor(options: AuthInterceptorOptions = {}): Interceptor {
  const nowMs = options.nowMs ?? (() => Date.now());
  return (next) => async (req) => {
    const env = req.contextValues.get(envKey);
    if (env === undefined) throw new Error("invariant broken: the auth interceptor runs without an Env");
    let resolved = configs.get(env);
    if (resolved === undefined) {
      resolved = await authConfig(env);
      configs.set(env, resolved);
    }
    const method = `${req.service.typeName}/${req.method.name}`;
    const database = ALL_DATABASE_METHODS.has(method) ? ALL_DATABASES : databaseOf(req.header);
    const permission = requiredPermission(method, req.stream ? undefined : req.message);
    const authorize = async (): Promise<Principal> => {
      const principal = await authenticate(resolved, req.header, env, nowMs(), options);
      if (permission === undefined) throw new ConnectError(`${method} has no entry in the permission table`, Code.PermissionDenied);
      if (!rolesGrant(principal.roles, database, permission)) {
        const where = database === ALL_DATABASES ? "every database (`*`)" : `database ${JSON.stringify(database)}`;
        throw new ConnectError(`this credential has no ${permission} permission on ${where}`, Code.PermissionDenied);
      }
      return principal;
    };
    const principal = await authorize();
    await enforceRateLimits(env, principal, database, nowMs());
    req.contextValues.set(authKey, principal);
    req.contextValues.set(reauthorizeKey, async () => void (await authorize()));
    return next(req);
  };
}

async function authenticate(config: AuthConfig, header: Headers, env: Env, nowMs: number, options: AuthInterceptorOptions): Promise<Principal> {
  if (config.mode === "off") return ANONYMOUS_ADMIN;
  if (config.mode === "misconfigured") throw new ConnectError(config.message, Code.Unauthenticated);
  const unconfigured = config.bootstrapKeyHash === null && config.jwt === null;
  const token = bearerToken(header.get("authorization"), unconfigured);
  if (config.bootstrapKeyHash !== null && timingSafeEqual(await sha256Hex(token), config.bootstrapKeyHash)) {
    return { kind: "bootstrap", subject: "bootstrap", roles: { [ALL_DATABASES]: "admin" }, expiresAtMs: null, claims: {} };
  }
  if (token.startsWith(API_KEY_PREFIX)) return verifyApiKey(env, token, nowMs);
  if (config.jwt !== null && token.split(".").length === 3) return verifyJwt(token, config.jwt, { keySet: options.jwtKeySet, nowMs });
  throw new ConnectError(`the credential is not an API key${config.jwt === null ? "" : " or a JWT"}`, Code.Unauthenticated);
}

/** The token of an `authorization: Bearer <token>` header; throws UNAUTHENTICATED otherwise. */
function bearerToken(value: string | null, unconfigured: boolean): string {
  if (value === null || value === "") {
    const hint = unconfigured ? `; ${HOW_TO_CONFIGURE}` : "";
    throw new ConnectError(`authentication required: send \`authorization: Bearer <API key or JWT>\`${hint}`, Code.Unauthenticated);
  }
  if (value.length > AUTHORIZATION_HEADER_CHARS_MAX) {
    throw new ConnectError(`the authorization header is over AUTHORIZATION_HEADER_CHARS_MAX (${AUTHORIZATION_HEADER_CHARS_MAX}) characters`, Code.Unauthenticated);
  }
  const match = /^Bearer +(\S+)$/i.exec(value.trim());
  if (match === null) throw new ConnectError("the authorization header must be `Bearer <API key or JWT>`", Code.Unauthenticated);
  return match[1]!;
}
