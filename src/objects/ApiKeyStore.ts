/**
 * The API key store: the one Durable Object that holds every API key (its
 * hashed secret, roles, expiry, revocation). Workers ask it to verify a key
 * and cache the answer for AUTH_CACHE_TTL_MS; AdminService creates, lists
 * and revokes keys through it. The logic lives in `src/auth/`.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env.js";
import type { Failure } from "../errors.js";
import { API_KEY_MIGRATIONS, findKey, insertKey, listKeys, removeDatabaseRoles, revokeKey, type ApiKeyRecord } from "../auth/key-table.js";
import { migrate } from "../storage/schema.js";

export class ApiKeyStore extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.transactionSync(() => migrate(ctx.storage.sql, "api_keys", API_KEY_MIGRATIONS));
  }

  /** Stores a new key (already hashed by the Worker). */
  create(record: ApiKeyRecord): { ok: true } | Failure {
    return this.ctx.storage.transactionSync(() => insertKey(this.ctx.storage.sql, record));
  }

  /** The key with `id`, or null. */
  get(id: string): ApiKeyRecord | null {
    return findKey(this.ctx.storage.sql, id);
  }

  /** Every key, newest first. */
  list(showRevoked: boolean): ApiKeyRecord[] {
    return listKeys(this.ctx.storage.sql, showRevoked);
  }

  /** Removes database `databaseId`'s role from every key; answers how many keys changed. */
  removeDatabaseRoles(databaseId: string): number {
    return this.ctx.storage.transactionSync(() => removeDatabaseRoles(this.ctx.storage.sql, databaseId));
  }

  /** Revokes a key now. */
  revoke(id: string): { ok: true } | Failure {
    return this.ctx.storage.transactionSync(() => revokeKey(this.ctx.storage.sql, id, Date.now()));
  }
}
