/**
 * Rate limits per credential and per database, with Cloudflare's Workers
 * Rate Limiting binding (`[[ratelimits]]` in wrangler.toml): one binding
 * counts the calls of each credential (`RATE_LIMIT_PER_KEY`), another the
 * calls on each database (`RATE_LIMIT_PER_DATABASE`). Each counts calls in
 * windows of RATE_LIMIT_PERIOD_S; the limit per window is the binding's
 * `simple.limit`. An environment without a binding has no such limit (the
 * local top-level configuration has none; every deployed one has both).
 *
 * What it guarantees, honestly: Cloudflare counts per location and
 * approximately (a caller reaching two locations has two budgets, and a
 * burst may pass a little over the limit before the count catches up), so
 * this protects the database from runaway clients, not as an exact quota.
 * Locally Miniflare counts exactly, in windows aligned to the clock.
 *
 * Limits are checked after the credential and its permission, never before:
 * a call without a valid credential is refused without counting, so nobody
 * can spend a database's budget without a key to it.
 */
import { isDatabaseId } from "../databases/names.js";
import { rateLimitedError } from "../errors.js";
import { RATE_LIMIT_PERIOD_S, RATE_LIMIT_RETRY_DELAY_MS_MIN } from "./limits.js";
import { ALL_DATABASES } from "./permissions.js";
import type { Principal } from "./principal.js";

/** What rate limiting needs of a Workers Rate Limiting binding (`RateLimit` in the Workers types). */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The bindings rate limiting reads (a part of Env, src/env.ts). */
export interface RateLimitEnv {
  readonly RATE_LIMIT_PER_KEY?: RateLimiter;
  readonly RATE_LIMIT_PER_DATABASE?: RateLimiter;
}

/**
 * The counter key of a principal, or null when it has none to count by
 * (anonymous: auth is off, local development only). JWT subjects and key
 * ids live in separate key spaces, so a JWT whose `sub` looks like a key id
 * never shares that key's budget.
 */
export function credentialKey(principal: Principal): string | null {
  if (principal.kind === "anonymous") return null;
  return `${principal.kind}:${principal.subject}`;
}

/**
 * The counter key of a database: its id, `*` for calls on every database,
 * or one shared key for every malformed name (refused right after, by the
 * database interceptor), so a caller cannot mint counters of any size.
 */
export function databaseKey(database: string): string {
  return `database:${counted(database)}`;
}

function counted(database: string): string {
  return database === ALL_DATABASES || isDatabaseId(database) ? database : "(malformed)";
}

/**
 * How long a refused caller should wait, in ms: until the current window
 * ends if windows are aligned to the clock (they are in Miniflare; Cloudflare
 * does not say), and at least RATE_LIMIT_RETRY_DELAY_MS_MIN. A caller told
 * too little is refused again and waits again, so an estimate is safe.
 */
export function retryDelayMs(nowMs: number): number {
  const periodMs = RATE_LIMIT_PERIOD_S * 1000;
  return Math.max(RATE_LIMIT_RETRY_DELAY_MS_MIN, periodMs - (nowMs % periodMs));
}

/**
 * Counts one call of `principal` on `database` against both limits; throws
 * RESOURCE_EXHAUSTED with retry information when either is spent. Both
 * counters are asked at once (the call costs one binding round trip, not
 * two). A binding that fails lets the call through and logs it: losing the
 * limiter for a moment must not take the database down with it.
 */
export async function enforceRateLimits(env: RateLimitEnv, principal: Principal, database: string, nowMs: number): Promise<void> {
  const key = credentialKey(principal);
  const [perKey, perDatabase] = await Promise.all([
    key === null ? true : allowed(env.RATE_LIMIT_PER_KEY, key),
    allowed(env.RATE_LIMIT_PER_DATABASE, databaseKey(database)),
  ]);
  if (perKey && perDatabase) return;
  const which = perKey ? `database ${JSON.stringify(counted(database))}` : "this credential";
  throw rateLimitedError(
    `rate limit reached for ${which} (RATE_LIMIT_${perKey ? "PER_DATABASE" : "PER_KEY"} calls per ${RATE_LIMIT_PERIOD_S} s); retry after the delay in RetryInfo`,
    retryDelayMs(nowMs),
  );
}

async function allowed(binding: RateLimiter | undefined, key: string): Promise<boolean> {
  if (binding === undefined) return true;
  try {
    return (await binding.limit({ key })).success;
  } catch (err) {
    console.error("rate limiter unavailable; letting the call through", err);
    return true;
  }
}
