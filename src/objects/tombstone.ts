/**
 * How an object of a deleted database is erased and stays erased.
 *
 * DeleteDatabase calls `eraseDatabase` on each of the database's objects:
 * it drops the alarm and every row (`deleteAll`), then writes a tombstone
 * table. An object with a tombstone refuses every later call with
 * DATABASE_DELETED_MESSAGE (the Worker maps it to NOT_FOUND), so a Worker
 * whose cached catalog entry still says the database exists can neither
 * read half-erased data nor create documents in an object nobody will
 * erase again. A database created again under the same id is a new
 * incarnation with new object names, so tombstones are never cleared.
 */

import { DATABASE_DELETED_MESSAGE } from "../errors.js";

const TOMBSTONE_TABLE = "database_deleted";

/** Whether the object behind `sql` was erased. */
export function isErased(sql: SqlStorage): boolean {
  return sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", TOMBSTONE_TABLE).toArray().length > 0;
}

/** Erases the object's data and alarm and leaves a tombstone. Idempotent. */
export async function eraseDatabase(storage: DurableObjectStorage): Promise<void> {
  if (isErased(storage.sql)) return;
  await storage.deleteAlarm();
  await storage.deleteAll();
  storage.sql.exec(`CREATE TABLE IF NOT EXISTS ${TOMBSTONE_TABLE} (erase_time_ms INTEGER NOT NULL)`);
  storage.sql.exec(`INSERT INTO ${TOMBSTONE_TABLE} (erase_time_ms) VALUES (?)`, Date.now());
}

/** Throws the refusal of an erased object; called first by each public method of such objects. */
export function assertNotErased(erased: boolean): void {
  if (erased) throw new Error(DATABASE_DELETED_MESSAGE);
}
