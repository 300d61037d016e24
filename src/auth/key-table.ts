/**
 * The API key table of the key store object: one row per key with the
 * SHA-256 of its secret (never the secret), its roles, expiry and
 * revocation. Plain functions over SqlStorage, so the object stays thin.
 */
import { failure, type Failure } from "../errors.js";
import type { Migration } from "../storage/schema.js";
import { API_KEY_COUNT_MAX } from "./limits.js";
import type { Role } from "./permissions.js";
import type { ApiKeyRecord } from "./api-key-record.js";

export type { ApiKeyRecord };

/** The key store's schema migrations. */
export const API_KEY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: "API keys",
    statements: [
      `CREATE TABLE api_keys (
         id TEXT PRIMARY KEY,
         secret_hash TEXT NOT NULL,
         display_name TEXT NOT NULL,
         roles TEXT NOT NULL,
         create_time_ms INTEGER NOT NULL,
         expire_time_ms INTEGER,
         revoke_time_ms INTEGER
       )`,
    ],
  },
];

interface Row extends Record<string, SqlStorageValue> {
  id: string;
  secret_hash: string;
  display_name: string;
  roles: string;
  create_time_ms: number;
  expire_time_ms: number | null;
  revoke_time_ms: number | null;
}

/** Stores a new key; refuses a duplicate id or a full table. */
export function insertKey(sql: SqlStorage, record: ApiKeyRecord): { ok: true } | Failure {
  const count = (sql.exec("SELECT COUNT(*) AS n FROM api_keys").toArray()[0] as { n: number }).n;
  if (count >= API_KEY_COUNT_MAX) return failure("resource_exhausted", `there are already API_KEY_COUNT_MAX (${API_KEY_COUNT_MAX}) keys; revoke and delete some first`);
  const exists = sql.exec("SELECT 1 FROM api_keys WHERE id = ?", record.id).toArray().length > 0;
  if (exists) return failure("already_exists", "an API key with this id exists; create it again");
  sql.exec(
    "INSERT INTO api_keys (id, secret_hash, display_name, roles, create_time_ms, expire_time_ms, revoke_time_ms) VALUES (?, ?, ?, ?, ?, ?, NULL)",
    record.id,
    record.secretHash,
    record.displayName,
    JSON.stringify(record.roles),
    record.createTimeMs,
    record.expireTimeMs,
  );
  return { ok: true };
}

/** The key with `id`, or null. */
export function findKey(sql: SqlStorage, id: string): ApiKeyRecord | null {
  const row = sql.exec<Row>("SELECT * FROM api_keys WHERE id = ?", id).toArray()[0];
  return row === undefined ? null : fromRow(row);
}

/** Every key, newest first (at most API_KEY_COUNT_MAX). */
export function listKeys(sql: SqlStorage, showRevoked: boolean): ApiKeyRecord[] {
  const where = showRevoked ? "" : "WHERE revoke_time_ms IS NULL";
  return sql.exec<Row>(`SELECT * FROM api_keys ${where} ORDER BY create_time_ms DESC, id LIMIT ?`, API_KEY_COUNT_MAX).toArray().map(fromRow);
}

/** Revokes a key (keeping the first revocation time); not_found when no key has `id`. */
export function revokeKey(sql: SqlStorage, id: string, nowMs: number): { ok: true } | Failure {
  const found = findKey(sql, id);
  if (found === null) return failure("not_found", `no API key has id ${id}`);
  if (found.revokeTimeMs === null) sql.exec("UPDATE api_keys SET revoke_time_ms = ? WHERE id = ?", nowMs, id);
  return { ok: true };
}

/**
 * Removes database `databaseId`'s role from every key (revoked ones too) and
 * returns how many keys changed. DeleteDatabase calls it so that a database
 * created again under the same id starts with no keys; idempotent, so an
 * interrupted deletion can run it again. `*` roles are left alone: they
 * name every database, present and future, on purpose.
 */
export function removeDatabaseRoles(sql: SqlStorage, databaseId: string): number {
  let changed = 0;
  for (const row of sql.exec<Row>("SELECT * FROM api_keys LIMIT ?", API_KEY_COUNT_MAX).toArray()) {
    const roles = fromRow(row).roles;
    if (!Object.hasOwn(roles, databaseId)) continue;
    const kept = Object.fromEntries(Object.entries(roles).filter(([db]) => db !== databaseId));
    sql.exec("UPDATE api_keys SET roles = ? WHERE id = ?", JSON.stringify(kept), row.id);
    changed += 1;
  }
  return changed;
}

function fromRow(row: Row): ApiKeyRecord {
  return {
    id: row.id,
    secretHash: row.secret_hash,
    displayName: row.display_name,
    roles: JSON.parse(row.roles) as Record<string, Role>,
    createTimeMs: row.create_time_ms,
    expireTimeMs: row.expire_time_ms,
    revokeTimeMs: row.revoke_time_ms,
  };
}
