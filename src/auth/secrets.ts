/**
 * API key secrets: their format `idb_<id>_<random>`, their SHA-256 hashes,
 * and constant-time comparison. Pure: Web Crypto only, so it runs in the
 * Worker and in Node.
 *
 * The id (16 hex digits) is part of the secret so the Worker finds a key's
 * record without a scan; the random part (32 bytes, base64url) carries the
 * secret's 256 bits. With that much entropy a plain SHA-256 is enough to
 * store: a slow password hash guards guessable secrets, and these are not.
 */

/** The prefix of every API key secret. */
export const API_KEY_PREFIX = "idb_";

const KEY_PATTERN = /^idb_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const ID_BYTES = 8;
const RANDOM_BYTES = 32;

/** A new key: its id and the whole secret (shown to the caller once). */
export interface NewApiKey {
  readonly id: string;
  readonly secret: string;
}

/** Makes a fresh key from the platform's CSPRNG. */
export function newApiKey(): NewApiKey {
  const id = toHex(crypto.getRandomValues(new Uint8Array(ID_BYTES)));
  const random = toBase64Url(crypto.getRandomValues(new Uint8Array(RANDOM_BYTES)));
  return { id, secret: `${API_KEY_PREFIX}${id}_${random}` };
}

/** The id of a well-formed key secret, or null for anything else. */
export function apiKeyIdOf(secret: string): string | null {
  return KEY_PATTERN.exec(secret)?.[1] ?? null;
}

/** The SHA-256 of `text`'s UTF-8 bytes, as lowercase hex. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return toHex(new Uint8Array(digest));
}

/**
 * Compares two strings in time that depends only on their lengths, not on
 * where they differ. Callers compare hashes, whose lengths are public.
 */
export function timingSafeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
