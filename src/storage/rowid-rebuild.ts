/**
 * Rebuilds a WITHOUT ROWID table as an ordinary rowid table, for tables
 * whose rows carry a document or a transaction's writes.
 *
 * SQLite keeps a WITHOUT ROWID table's rows in an index b-tree, whose cells
 * hold at most about 1 KB of a row on the page ((4096 - 12) * 64 / 255 - 23
 * = 1,002 bytes with 4 KiB pages); the rest of a longer row goes to an
 * overflow page of its own, and every key comparison on the way down the
 * tree reads such a row whole, overflow pages included. SQLite's own advice
 * (https://sqlite.org/withoutrowid.html, section 4, "When To Use WITHOUT
 * ROWID") is to use them only for rows under about 1/20 of a page. A rowid
 * table keeps up to about 4 KB of a row on its leaf page and finds a row by
 * its integer key; its primary key becomes a separate unique index of the
 * key columns alone. Measured inside workerd (2026-12-02, 12,500 rows with
 * 1,000 bytes of text each): 58.7 MB as WITHOUT ROWID against 17.5 MB as a
 * rowid table, and a primary-key read 98 µs against 36 µs.
 *
 * The rebuild follows SQLite's documented procedure for schema changes
 * ALTER TABLE cannot make (https://sqlite.org/lang_altertable.html,
 * "Making Other Kinds Of Table Schema Changes"): create the new table under
 * another name, copy every row, drop the old table, rename the new one, and
 * create again the indexes and triggers that belonged to the old one (and
 * any trigger elsewhere that names it). Columns, types, defaults, CHECK and
 * NOT NULL constraints and the primary key's uniqueness are kept, because
 * the new table's definition is the old one's own text without its
 * `WITHOUT ROWID`. Run it inside the migration's transaction
 * (storage/schema.ts `migrate`), so a failure leaves the old table as it was.
 *
 * The copy runs when the object starts, before it answers anything, so a
 * table of more than ROWID_REBUILD_ROWS_MAX rows is left as it is (every
 * statement of this code works on both forms; it only stays larger and
 * slower), and a JSON line says so: copying gigabytes there could pass
 * the time an object may take to start, on every start.
 */
import type { Migration, MigrationSql } from "./schema.js";

/** An index or trigger to create again after the rebuild: its name and its own CREATE statement. */
interface Dependent {
  readonly type: "index" | "trigger";
  readonly name: string;
  readonly tblName: string;
  readonly sql: string;
}

/**
 * The most rows a migration copies to rebuild one table: about 250 MB of
 * 1 KB documents, a few seconds of copying (12,500 rows loaded at 10 to
 * 50 µs a row inside workerd).
 */
export const ROWID_REBUILD_ROWS_MAX = 250_000;

/** The suffix of the new table's name while both exist. */
const REBUILD_SUFFIX = "__rowid_rebuild";

/**
 * Rebuilds `table` as a rowid table with the same definition. Returns false
 * (and changes nothing) when it is already a rowid table or holds more than
 * `rowsMax` rows; throws when the table does not exist or its stored
 * definition is not of the expected form.
 */
export function rebuildAsRowidTable(sql: MigrationSql, table: string, rowsMax = ROWID_REBUILD_ROWS_MAX): boolean {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`invariant broken: table name ${JSON.stringify(table)} is not a plain identifier`);
  const rows = sql.exec("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", table).toArray() as Array<{ sql: string }>;
  if (rows.length !== 1) throw new Error(`invariant broken: no table ${table} to rebuild`);
  const definition = rows[0]!.sql;
  const withoutRowid = /\)\s*WITHOUT\s+ROWID\s*$/i;
  if (!withoutRowid.test(definition)) return false;
  const head = new RegExp(`^CREATE\\s+TABLE\\s+"?${table}"?\\s*\\(`, "i");
  if (!head.test(definition)) throw new Error(`invariant broken: table ${table}'s definition does not begin as expected`);
  // Counting stops past the bound: a bounded scan of the table's keys.
  const counted = sql.exec(`SELECT count(*) AS n FROM (SELECT 1 FROM ${table} LIMIT ?)`, rowsMax + 1).toArray() as Array<{ n: number }>;
  if (counted[0]!.n > rowsMax) {
    console.warn(JSON.stringify({ event: "rowid_rebuild_skipped", table, rowsOver: rowsMax }));
    return false;
  }
  const rebuilt = `${table}${REBUILD_SUFFIX}`;
  const newDefinition = definition.replace(head, `CREATE TABLE ${rebuilt} (`).replace(withoutRowid, ")");

  const dependents = dependentsOf(sql, table);
  sql.exec(newDefinition);
  sql.exec(`INSERT INTO ${rebuilt} SELECT * FROM ${table}`);
  // Triggers on other tables that name this one would make the rename below
  // fail its check of the schema while the table is missing; they go too.
  for (const d of dependents) if (d.type === "trigger" && d.tblName !== table) sql.exec(`DROP TRIGGER "${d.name}"`);
  sql.exec(`DROP TABLE ${table}`);
  sql.exec(`ALTER TABLE ${rebuilt} RENAME TO ${table}`);
  for (const d of dependents) sql.exec(d.sql);
  return true;
}

/**
 * The indexes and triggers on `table`, and the triggers elsewhere whose
 * text names it, in creation order. Automatic indexes (the primary key's)
 * have no statement and are made by the table itself.
 */
function dependentsOf(sql: MigrationSql, table: string): Dependent[] {
  const all = sql
    .exec("SELECT type, name, tbl_name AS tblName, sql FROM sqlite_schema WHERE type IN ('index', 'trigger') AND sql IS NOT NULL ORDER BY rowid")
    .toArray() as Dependent[];
  const names = new RegExp(`(^|[^A-Za-z0-9_])"?${table}"?([^A-Za-z0-9_]|$)`);
  return all.filter((d) => d.tblName === table || (d.type === "trigger" && names.test(d.sql)));
}

/** A migration (at `version` of its object's list) rebuilding `tables` as rowid tables, in order. */
export function rowidRebuildMigration(version: number, tables: readonly string[]): Migration {
  return {
    version,
    description: `${tables.join(", ")} as rowid tables: their rows hold documents, too long for a WITHOUT ROWID table's pages`,
    statements: [],
    run: (sql) => {
      for (const table of tables) rebuildAsRowidTable(sql, table);
    },
  };
}
