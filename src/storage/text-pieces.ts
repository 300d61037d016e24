/**
 * Text values longer than one SQLite row may hold, stored in pieces.
 *
 * A Durable Object's SQLite refuses a row over 2 MB on Cloudflare (its
 * documented limit, ../shared PLATFORM notes; local workerd stops at about
 * 8 MB) with SQLITE_TOOBIG. A transaction's records hold every document it
 * writes (a coordinator's plan and votes, a shard's recorded answer), up to
 * TX_BYTES_MAX (10 MiB), so one such value can be several rows' worth. A
 * value of at most STORED_TEXT_INLINE_CHARS_MAX UTF-16 units stays in its
 * column as it is; a longer one is cut into pieces of at most
 * STORED_TEXT_PIECE_CHARS_MAX units (never inside a surrogate pair) kept in
 * `stored_text_pieces` under its transaction id and a slot name, and its
 * column holds a marker naming the slot. The records these values belong to
 * are JSON objects, so they begin with "{" and never look like a marker.
 *
 * A UTF-16 unit takes at most 3 bytes of UTF-8 (a surrogate pair, two
 * units, takes 4), so a piece of 262,144 units is at most 786,432 bytes:
 * well inside one row with its keys.
 */
import type { Migration } from "./schema.js";

/** Longest value (UTF-16 units) kept in its own column: at most 1.5 MB of UTF-8. */
export const STORED_TEXT_INLINE_CHARS_MAX = 512 * 1024;

/** Longest piece (UTF-16 units) of a value stored in pieces: at most 768 KiB of UTF-8. */
export const STORED_TEXT_PIECE_CHARS_MAX = 256 * 1024;

/** The prefix of a column value that stands for a value stored in pieces; the slot follows. */
const PIECES_MARK = "pieces:";

/** The table of pieces (added by a migration of each object that stores them). */
export const STORED_TEXT_PIECES_TABLE =
  "CREATE TABLE stored_text_pieces (tx_id TEXT NOT NULL, slot TEXT NOT NULL, part INTEGER NOT NULL, text TEXT NOT NULL, PRIMARY KEY (tx_id, slot, part)) WITHOUT ROWID";

/** A migration adding the pieces table, at `version` of its object's list. */
export function storedTextPiecesMigration(version: number): Migration {
  return { version, description: "text values longer than a row, in pieces", statements: [STORED_TEXT_PIECES_TABLE] };
}

/**
 * What to put in the column for `text` (transaction `txId`, slot `slot`):
 * the text itself when short, else a marker, with the pieces stored (any
 * earlier pieces of the slot replaced). Null stays null.
 */
export function storeText(sql: SqlStorage, txId: string, slot: string, text: string | null): string | null {
  if (text === null || text.length <= STORED_TEXT_INLINE_CHARS_MAX) return text;
  sql.exec("DELETE FROM stored_text_pieces WHERE tx_id = ? AND slot = ?", txId, slot);
  let part = 0;
  for (let at = 0; at < text.length; part++) {
    let end = Math.min(at + STORED_TEXT_PIECE_CHARS_MAX, text.length);
    // Never cut a surrogate pair: SQLite stores UTF-8, and half a pair is not a character.
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    sql.exec("INSERT INTO stored_text_pieces (tx_id, slot, part, text) VALUES (?, ?, ?, ?)", txId, slot, part, text.slice(at, end));
    at = end;
  }
  return `${PIECES_MARK}${slot}`;
}

/** The whole text a column value stands for (a marker's pieces joined), or the value itself. */
export function loadText(sql: SqlStorage, txId: string, value: string | null): string | null {
  if (value === null || !value.startsWith(PIECES_MARK)) return value;
  const slot = value.slice(PIECES_MARK.length);
  const pieces = sql.exec<{ text: string }>("SELECT text FROM stored_text_pieces WHERE tx_id = ? AND slot = ? ORDER BY part", txId, slot).toArray();
  if (pieces.length === 0) throw new Error(`invariant broken: the pieces of ${txId}/${slot} are missing`);
  return pieces.map((p) => p.text).join("");
}

/** Whether a column value is a marker of a value stored in pieces. */
export function isPiecesMarker(value: string | null): boolean {
  return value !== null && value.startsWith(PIECES_MARK);
}

/** Drops every piece stored for `txId`. */
export function dropTextPieces(sql: SqlStorage, txId: string): void {
  sql.exec("DELETE FROM stored_text_pieces WHERE tx_id = ?", txId);
}
