/**
 * The grammar of document ids, collection names and database ids, as the
 * server checks it (src/validation/refs.ts, src/databases/names.ts, and the
 * protos' buf.validate rules; docs/limits.md). The CLI checks every name it
 * is given before it sends anything: command arguments (arguments.ts), so a
 * bad one exits 2 naming the argument, and the ids of import records and the
 * references inside typed values in import's first pass, so a bad one is
 * reported with its line before anything is written. The server checks again.
 */

/** The longest document id the server accepts, in characters. */
const DOCUMENT_ID_LENGTH_MAX = 256;
const DOCUMENT_ID_PATTERN = /^[A-Za-z0-9_:@+=~-][A-Za-z0-9_.:@+=~-]*$/;

/** The longest collection name the server accepts, in characters. */
const COLLECTION_NAME_LENGTH_MAX = 128;
const COLLECTION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Why `id` is not a valid document id, or null. */
export function checkId(id: string): string | null {
  if (id === "") return "the document id is empty";
  if (id.length > DOCUMENT_ID_LENGTH_MAX) return `the document id is ${id.length} characters, over ${DOCUMENT_ID_LENGTH_MAX}`;
  if (!DOCUMENT_ID_PATTERN.test(id)) return `document id ${JSON.stringify(id)} may hold only letters, digits and "_ . : @ + = ~ -", and may not start with "."`;
  return null;
}

/** Why `name` is not a valid collection name, or null. */
export function checkCollectionName(name: string): string | null {
  if (name === "") return "the collection name is empty";
  if (name.length > COLLECTION_NAME_LENGTH_MAX) return `the collection name is ${name.length} characters, over ${COLLECTION_NAME_LENGTH_MAX}`;
  if (!COLLECTION_NAME_PATTERN.test(name)) return `collection name ${JSON.stringify(name)} must be a letter or "_" followed by letters, digits, "_" or "-"`;
  if (name.startsWith("__")) return `collection name ${JSON.stringify(name)} is reserved: names starting with "__" are for the system`;
  return null;
}

/** The longest database id the server accepts, in characters (DATABASE_ID_LENGTH_MAX in src/limits.ts). */
const DATABASE_ID_LENGTH_MAX = 63;
const DATABASE_ID_PATTERN = new RegExp(`^[a-z][a-z0-9-]{0,${DATABASE_ID_LENGTH_MAX - 1}}$`);

/** Why `id` is not a valid database id, or null. */
export function checkDatabaseId(id: string): string | null {
  if (DATABASE_ID_PATTERN.test(id)) return null;
  return `${JSON.stringify(id)} is not a database id: 1 to ${DATABASE_ID_LENGTH_MAX} characters, a lowercase letter first, then lowercase letters, digits or '-'`;
}
