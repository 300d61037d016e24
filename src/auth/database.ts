/**
 * Which database a request is for: the `impossibledb-database` header,
 * `default` when absent. (The databases work reads the same header; the two
 * helpers are to be merged into one.)
 */

/** The header that names a request's database. */
export const DATABASE_HEADER = "impossibledb-database";

/** The database of a request that names none. */
export const DEFAULT_DATABASE = "default";

/** The database a request names (see {@link DATABASE_HEADER}). */
export function databaseOf(header: Headers): string {
  const value = header.get(DATABASE_HEADER);
  return value === null || value === "" ? DEFAULT_DATABASE : value;
}
