/**
 * Who is calling, once a credential has been verified. Services and (later)
 * security rules read it from the `authKey` context value; its `claims` are
 * what rules will see as `request.auth`.
 */
import { createContextKey } from "@connectrpc/connect";
import type { Role } from "./permissions.js";

/** A verified caller. */
export interface Principal {
  /** How the caller proved who it is; "anonymous" only when AUTH_MODE is off. */
  readonly kind: "api_key" | "bootstrap" | "jwt" | "anonymous";
  /** The key id, the JWT's `sub`, or a fixed name for the others. */
  readonly subject: string;
  /** Its role on each database; `*` is every database. */
  readonly roles: Readonly<Record<string, Role>>;
  /** When the credential stops being valid, in ms since the epoch; null when never. */
  readonly expiresAtMs: number | null;
  /** A JWT's claims (`request.auth` for rules); empty for keys. */
  readonly claims: Readonly<Record<string, unknown>>;
}

/** The caller of the current RPC, set by the auth interceptor. */
export const authKey = createContextKey<Principal | undefined>(undefined, { description: "the verified caller" });

/** The principal every call runs as when AUTH_MODE is off. */
export const ANONYMOUS_ADMIN: Principal = { kind: "anonymous", subject: "anonymous", roles: { "*": "admin" }, expiresAtMs: null, claims: {} };

/**
 * Checks the call's credential and permission again, as at its start:
 * resolves when they still hold, throws UNAUTHENTICATED or
 * PERMISSION_DENIED when not (a key revoked or expired since). Long-lived
 * streams (Listen) call it as they go, so a revoked key does not keep a
 * stream it opened. Unset outside the auth interceptor.
 */
export const reauthorizeKey = createContextKey<(() => Promise<void>) | undefined>(undefined, { description: "re-checks the caller's credential" });
