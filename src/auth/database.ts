/**
 * Which database a request is for, as authorization sees it: the
 * `impossibledb-database` header, `default` when absent. The header's
 * grammar and the catalog lookup belong to src/databases/; a malformed or
 * unknown name is refused there after authentication, so this only names
 * the database a permission is checked against (a name no key grants is
 * PERMISSION_DENIED, whether or not the database exists).
 */
import { DATABASE_HEADER, DEFAULT_DATABASE_ID } from "../databases/names.js";

/** The database of a request that names none. */
export const DEFAULT_DATABASE = DEFAULT_DATABASE_ID;

/** The database a request names (see DATABASE_HEADER in src/databases/names.ts). */
export function databaseOf(header: Headers): string {
  const value = header.get(DATABASE_HEADER);
  return value === null || value === "" ? DEFAULT_DATABASE : value;
}
