/**
 * Opaque, tamper-evident page tokens. A token is base64url(JSON payload) "."
 * base64url(HMAC-SHA-256(key, payload)), truncated to 128 bits. The payload
 * names the request it continues (its kind and a fingerprint of its
 * parameters), so a token is refused by any other request, and one that was
 * altered is refused outright.
 */
import { PAGE_TOKEN_LENGTH_MAX, RESUME_TOKEN_LENGTH_MAX } from "../limits.js";
import type { Failure } from "../errors.js";
import { failure } from "../errors.js";

/** The key used when PAGE_TOKEN_KEY is unset; fine for local use only. */
export const DEVELOPMENT_PAGE_TOKEN_KEY = "impossibledb-development-page-token-key";

const MAC_BYTES = 16;
/**
 * The most imported HMAC keys kept per isolate. Each database signs with
 * its own key (databases/database-env.ts), so the cache is bounded; the
 * key imported longest ago is dropped first.
 */
const HMAC_KEYS_CACHED_MAX = 512;
const encoder = new TextEncoder();
/**
 * Imported keys, by secret. The map holds keys, never pending imports: a
 * request must not await a promise another request made (see
 * docs/architecture.md, "Requests never await each other"), so two requests
 * that find a key missing each import it.
 */
const keys = new Map<string, CryptoKey>();

async function hmacKey(secret: string): Promise<CryptoKey> {
  const cached = keys.get(secret);
  if (cached !== undefined) return cached;
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  keys.set(secret, key);
  if (keys.size > HMAC_KEYS_CACHED_MAX) keys.delete(keys.keys().next().value!);
  return key;
}

/** The truncated HMAC-SHA-256 of `payload` under `secret`, base64url. */
export async function mac(secret: string, payload: string): Promise<string> {
  const signature = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload));
  return toBase64Url(new Uint8Array(signature).subarray(0, MAC_BYTES));
}

/**
 * A kind of token signed here, and how its refusals name it: page tokens
 * (`page_token`) and Listen's resume tokens (`resume_token`, up to
 * RESUME_TOKEN_LENGTH_MAX: one position per shard). Both carry their
 * database, so both say which one a misplaced token was made in.
 */
export interface TokenKind {
  /** The request field the token is sent in. */
  readonly field: "page_token" | "resume_token";
  /** Longer tokens are refused before any work. */
  readonly lengthMaxChars: number;
  /** How to start over without the token, for a refusal. */
  readonly restart: string;
  /** How to send a valid one, for "invalid". */
  readonly howToSend: string;
  /** What a token of the same database but another request is told. */
  readonly otherRequest: string;
}

/** Page tokens of every paged request. */
export const PAGE_TOKEN: TokenKind = {
  field: "page_token",
  lengthMaxChars: PAGE_TOKEN_LENGTH_MAX,
  restart: "run the request again without a page_token",
  howToSend: "pass back a next_page_token unchanged, with the same request",
  otherRequest: "page_token belongs to a different request: keep every parameter but page_token and page_size the same",
};

/** Listen's resume tokens (services/listen-service.ts). */
export const RESUME_TOKEN: TokenKind = {
  field: "resume_token",
  lengthMaxChars: RESUME_TOKEN_LENGTH_MAX,
  restart: "listen again without a resume_token",
  howToSend: "pass back a resume_token of a Listen with the same document or query, unchanged",
  otherRequest: "resume_token is invalid: pass back a resume_token of a Listen with the same document or query, unchanged",
};

/**
 * What tokenKey (databases/database-env.ts) puts between the base key and
 * a database's id and uid; a key without it is the database `default`'s.
 */
export const DATABASE_KEY_MARK = "\u0000databases/";

/** The database (`id/uid`; `default/` for `default`) whose key `secret` is, by tokenKey's form. */
function databaseOfKey(secret: string): string {
  const at = secret.lastIndexOf(DATABASE_KEY_MARK);
  return at === -1 ? "default/" : secret.slice(at + DATABASE_KEY_MARK.length);
}

/**
 * Signs `payload` (any JSON value) for request `scope` into a token. The
 * token names its database (`d`, signed with the rest), so one sent to
 * another database, or to a database made again under the same name, is
 * told so rather than only "invalid" (see misplacedToken).
 */
export async function encodePageToken(secret: string, scope: string, payload: unknown): Promise<string> {
  const body = toBase64Url(encoder.encode(JSON.stringify({ s: scope, p: payload, d: databaseOfKey(secret) })));
  return `${body}.${await mac(secret, body)}`;
}

/**
 * Why a token whose MAC fails under `secret` was refused, when its body
 * names another database than the key's: one of another name, or an
 * earlier one of the same name (deleted, then created again). The name is
 * read without trusting it (the MAC failed): it only chooses the words of
 * a refusal. Null when the body names none (tokens from before `d`) or the
 * key's own database (the token was altered, or the key changed).
 */
function misplacedToken(secret: string, body: string, kind: TokenKind): Failure | null {
  let named: unknown;
  try {
    named = (JSON.parse(new TextDecoder().decode(fromBase64Url(body))) as { d?: unknown }).d;
  } catch {
    return null;
  }
  if (typeof named !== "string") return null;
  const [id = "", uid = ""] = named.split("/");
  const [ownId = "", ownUid = ""] = databaseOfKey(secret).split("/");
  if (id === ownId && uid !== ownUid) {
    return failure(
      "failed_precondition",
      `${kind.field} belongs to an earlier database named ${ownId}, deleted since (this ${ownId} was created again): nothing of it continues here; ${kind.restart}`,
    );
  }
  if (id !== ownId && /^[a-z][a-z0-9-]{0,62}$/.test(id)) {
    return failure("invalid_argument", `${kind.field} was made in database ${id}, not ${ownId}: send it with the impossibledb-database header it was made with, or ${kind.restart}`);
  }
  return null;
}

/**
 * Verifies `token` for request `scope` and returns its payload; refusals
 * name the token by `kind` (PAGE_TOKEN, or RESUME_TOKEN for Listen's).
 * Tokens longer than the kind's lengthMaxChars are refused before any work.
 */
export async function decodePageToken(secret: string, scope: string, token: string, kind: TokenKind = PAGE_TOKEN): Promise<{ ok: true; payload: unknown } | Failure> {
  const invalid = failure("invalid_argument", `${kind.field} is invalid: ${kind.howToSend}`);
  if (token.length > kind.lengthMaxChars) return invalid;
  const [body, signature, extra] = token.split(".");
  if (body === undefined || signature === undefined || extra !== undefined) return invalid;
  if (!constantTimeEqual(signature, await mac(secret, body))) return misplacedToken(secret, body, kind) ?? invalid;
  let decoded: { s?: unknown; p?: unknown };
  try {
    decoded = JSON.parse(new TextDecoder().decode(fromBase64Url(body))) as { s?: unknown; p?: unknown };
  } catch {
    return invalid;
  }
  if (decoded.s !== scope) return failure("invalid_argument", kind.otherRequest);
  return { ok: true, payload: decoded.p };
}

/** Compares two strings in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** base64url without padding. */
export function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Decodes base64url (with or without padding); throws on bad input. */
export function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}
