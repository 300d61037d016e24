/**
 * Who rules bind, and what they see of the caller as `request.auth`.
 *
 * Every caller is bound except an admin of the request's database (a key or
 * JWT with the `admin` role on it or on `*`, and the bootstrap key), as
 * Firestore's Admin SDK bypasses its rules. With AUTH_MODE off every call
 * runs as the anonymous admin (auth/principal.ts), so rules are stored and
 * validated but bind no one: local development sees every document.
 */
import type { HandlerContext } from "@connectrpc/connect";
import { authKey, type Principal } from "../auth/principal.js";
import { rolesGrant } from "../auth/permissions.js";
import { scopeOf } from "../databases/database-env.js";
import { envOf } from "../server/context.js";

/** A caller rules bind. */
export interface RuleCaller {
  /** `request.auth`: a JWT's claims; `{sub: <key id>}` for an API key. */
  readonly auth: Readonly<Record<string, unknown>>;
}

/** The caller of this RPC as rules see it, or null when rules do not bind it. */
export function ruleCallerOf(ctx: HandlerContext): RuleCaller | null {
  const principal = ctx.values.get(authKey);
  // Without a principal (no auth interceptor ran: a wiring mistake) the call is bound, with no claims.
  if (principal === undefined) return { auth: {} };
  if (rolesGrant(principal.roles, scopeOf(envOf(ctx)).id, "admin")) return null;
  return { auth: authOf(principal) };
}

/** `request.auth` for a principal. */
export function authOf(principal: Principal): Readonly<Record<string, unknown>> {
  return principal.kind === "jwt" ? principal.claims : { sub: principal.subject };
}
