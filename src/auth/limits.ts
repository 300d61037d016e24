/**
 * The limits of authentication, with their units in their names. Checked
 * against each other at load time.
 */

/**
 * How long a Worker isolate trusts a verified API key without asking the key
 * store again. A key revoked elsewhere is refused by every isolate within
 * this time (the isolate that revokes it forgets it at once).
 */
export const AUTH_CACHE_TTL_MS = 30_000;

/** The most verified credentials one isolate remembers; the oldest goes first. */
export const AUTH_CACHE_ENTRIES_MAX = 1000;

/** The most API keys the key store holds, revoked ones included. */
export const API_KEY_COUNT_MAX = 1000;

/** The longest `authorization` header read, in characters; longer ones are refused unread. */
export const AUTHORIZATION_HEADER_CHARS_MAX = 8192;

/** The clock skew allowed on a JWT's exp/nbf/iat when JWT_CLOCK_SKEW_S is unset, in seconds. */
export const JWT_CLOCK_SKEW_S_DEFAULT = 60;

/** The largest clock skew JWT_CLOCK_SKEW_S may allow, in seconds. */
export const JWT_CLOCK_SKEW_S_MAX = 300;

/** The shortest ADMIN_BOOTSTRAP_KEY accepted, in characters (a guessable one is refused). */
export const BOOTSTRAP_KEY_CHARS_MIN = 32;

/** The shortest JWT_SECRET accepted, in characters (HS256 wants at least 256 bits). */
export const JWT_SECRET_CHARS_MIN = 32;

if (JWT_CLOCK_SKEW_S_DEFAULT > JWT_CLOCK_SKEW_S_MAX) throw new Error("invariant: JWT_CLOCK_SKEW_S_DEFAULT <= JWT_CLOCK_SKEW_S_MAX");
if (AUTH_CACHE_ENTRIES_MAX < 1 || AUTH_CACHE_TTL_MS < 1) throw new Error("invariant: the auth cache holds something for some time");

/**
 * The window of both rate limits (RATE_LIMIT_PER_KEY, RATE_LIMIT_PER_DATABASE
 * in wrangler.toml), in seconds. The Workers Rate Limiting binding accepts 10
 * or 60 and does not tell the Worker which one it has, so the Worker keeps it
 * here; test/unit/auth/rate-limit-config.test.ts checks every environment's
 * bindings against it.
 */
export const RATE_LIMIT_PERIOD_S: number = 60;

/** The shortest retry delay a refused call is told to wait, in ms (a window about to end still gets this much). */
export const RATE_LIMIT_RETRY_DELAY_MS_MIN = 1000;

if (RATE_LIMIT_PERIOD_S !== 10 && RATE_LIMIT_PERIOD_S !== 60) throw new Error("invariant: the Rate Limiting binding's period is 10 or 60 s");
if (RATE_LIMIT_RETRY_DELAY_MS_MIN < 1 || RATE_LIMIT_RETRY_DELAY_MS_MIN > RATE_LIMIT_PERIOD_S * 1000) {
  throw new Error("invariant: 0 < RATE_LIMIT_RETRY_DELAY_MS_MIN <= the rate limit period");
}
