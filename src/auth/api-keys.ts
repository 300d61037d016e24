/**
 * Verifies API key secrets against the key store, with a small per-isolate
 * cache: a verified key is trusted for AUTH_CACHE_TTL_MS, so a revocation
 * made through another isolate takes effect within that time (the isolate
 * that revokes forgets the key at once: {@link forgetApiKey}).
 *
 * Unknown ids and wrong secrets get the same answer, so a caller learns
 * nothing about which key ids exist.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Env } from "../env.js";
import { principalOf } from "./api-key-record.js";
import { AUTH_CACHE_ENTRIES_MAX, AUTH_CACHE_TTL_MS } from "./limits.js";
import type { Principal } from "./principal.js";
import { apiKeyIdOf, sha256Hex } from "./secrets.js";

/** The name of the single key store object (src/objects/ApiKeyStore.ts). */
export const API_KEY_STORE_NAME = "api-keys";

interface CacheEntry {
  readonly principal: Principal;
  readonly cachedUntilMs: number;
}

/** Verified keys by the SHA-256 of their secret; Map order is insertion order, oldest first. */
const cache = new Map<string, CacheEntry>();

/** The key store object's stub. */
export function apiKeyStore(env: Pick<Env, "API_KEYS">) {
  return env.API_KEYS.get(env.API_KEYS.idFromName(API_KEY_STORE_NAME));
}

/**
 * The principal of an API key secret. Throws UNAUTHENTICATED for a
 * malformed, unknown, wrong, revoked or expired key.
 */
export async function verifyApiKey(env: Pick<Env, "API_KEYS">, secret: string, nowMs: number): Promise<Principal> {
  const id = apiKeyIdOf(secret);
  if (id === null) throw new ConnectError("the API key is malformed: keys look like idb_<16 hex digits>_<43 characters>", Code.Unauthenticated);
  const hash = await sha256Hex(secret);
  const cached = cache.get(hash);
  if (cached !== undefined && nowMs < cached.cachedUntilMs && stillValid(cached.principal, nowMs)) return cached.principal;
  cache.delete(hash);
  const record = await apiKeyStore(env).get(id);
  const principal = principalOf(record, hash, nowMs);
  if (cache.size >= AUTH_CACHE_ENTRIES_MAX) cache.delete(cache.keys().next().value!);
  cache.set(hash, { principal, cachedUntilMs: nowMs + AUTH_CACHE_TTL_MS });
  return principal;
}

/** Forgets a revoked key in this isolate. */
export function forgetApiKey(id: string): void {
  for (const [hash, entry] of cache) {
    if (entry.principal.kind === "api_key" && entry.principal.subject === id) cache.delete(hash);
  }
}

/**
 * Forgets, in this isolate, every cached key whose roles name `databaseId`
 * (DeleteDatabase has just removed those roles from the stored keys).
 */
export function forgetDatabaseKeys(databaseId: string): void {
  for (const [hash, entry] of cache) {
    if (entry.principal.kind === "api_key" && Object.hasOwn(entry.principal.roles, databaseId)) cache.delete(hash);
  }
}

function stillValid(principal: Principal, nowMs: number): boolean {
  return principal.expiresAtMs === null || nowMs < principal.expiresAtMs;
}
