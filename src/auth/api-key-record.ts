/**
 * A stored API key, and the pure check of a presented secret against it.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Role } from "./permissions.js";
import type { Principal } from "./principal.js";
import { timingSafeEqual } from "./secrets.js";

/** A stored key, as the Worker needs it to verify a secret and list keys. */
export interface ApiKeyRecord {
  readonly id: string;
  /** SHA-256 of the whole secret, lowercase hex. */
  readonly secretHash: string;
  readonly displayName: string;
  readonly roles: Readonly<Record<string, Role>>;
  readonly createTimeMs: number;
  /** null: never expires. */
  readonly expireTimeMs: number | null;
  /** null: not revoked. */
  readonly revokeTimeMs: number | null;
}

/**
 * Checks a stored record against the hash of the presented secret (in
 * constant time) and the clock; pure, so it is tested without an object.
 */
export function principalOf(record: ApiKeyRecord | null, secretHash: string, nowMs: number): Principal {
  if (record === null || !timingSafeEqual(record.secretHash, secretHash)) {
    throw new ConnectError("the API key is not valid", Code.Unauthenticated);
  }
  if (record.revokeTimeMs !== null) throw new ConnectError("the API key has been revoked", Code.Unauthenticated);
  if (record.expireTimeMs !== null && nowMs >= record.expireTimeMs) throw new ConnectError("the API key has expired", Code.Unauthenticated);
  return { kind: "api_key", subject: record.id, roles: record.roles, expiresAtMs: record.expireTimeMs, claims: {} };
}

