/**
 * Which database a call addresses: the `impossibledb-database` request
 * header (Connect, gRPC-Web and gRPC metadata all arrive as headers), or
 * `default` without it.
 *
 * The fetch handler reads the header into a context value; this module's
 * interceptor, inside Connect (so errors are encoded in the caller's
 * protocol), refuses a malformed one with INVALID_ARGUMENT, looks the
 * database up (NOT_FOUND when it does not exist or is being deleted; never
 * created implicitly) and hands the services an Env addressing it. The
 * database RPCs themselves (CreateDatabase, ...) address the catalog, not a
 * database, so they skip the lookup.
 */
import { Code, ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { resolveDatabase } from "../databases/catalog-client.js";
import { databaseEnv } from "../databases/database-env.js";
import { DATABASE_HEADER, DEFAULT_DATABASE_ID, databaseIdProblem } from "../databases/names.js";
import type { RequestLocation } from "../routing/localityManager.js";
import { envKey } from "./context.js";

/** The header's reading: the database id, or why the header is not one. */
export type DatabaseSelection = { readonly id: string } | { readonly problem: string };

/** The current call's database selection; `default` outside the fetch handler. */
export const databaseSelectionKey = createContextKey<DatabaseSelection>({ id: DEFAULT_DATABASE_ID }, { description: "database selection" });

/** Reads where the request came from (`request.cf`), when asked; undefined locally. */
export const requestLocationKey = createContextKey<() => RequestLocation | undefined>(() => undefined, { description: "request location" });

/** Reads the database header: absent → `default`; present but not a database id → the problem. */
export function databaseSelectionFrom(headers: Headers): DatabaseSelection {
  const given = headers.get(DATABASE_HEADER);
  if (given === null) return { id: DEFAULT_DATABASE_ID };
  const problem = databaseIdProblem(given, `header ${DATABASE_HEADER}`);
  return problem === undefined ? { id: given } : { problem };
}

/** The database name for logs and metrics: the id, or `(invalid)` for a malformed header (never echoed). */
export function databaseLabel(selection: DatabaseSelection): string {
  return "id" in selection ? selection.id : "(invalid)";
}

/** The methods that address the catalog rather than a database. */
const CATALOG_METHODS: ReadonlySet<string> = new Set(["CreateDatabase", "GetDatabase", "ListDatabases", "DeleteDatabase"]);

/** The interceptor that resolves each call's database; see the module comment. */
export const databaseInterceptor: Interceptor = (next) => async (req) => {
  const selection = req.contextValues.get(databaseSelectionKey);
  if ("problem" in selection) throw new ConnectError(selection.problem, Code.InvalidArgument);
  const env = req.contextValues.get(envKey);
  if (selection.id !== DEFAULT_DATABASE_ID && env !== undefined && !CATALOG_METHODS.has(req.method.name)) {
    req.contextValues.set(envKey, databaseEnv(env, await resolveDatabase(env, selection.id)));
  }
  return next(req);
};
