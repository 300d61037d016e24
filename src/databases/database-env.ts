/**
 * The Env as one database sees it: the same bindings, with the database's
 * scope attached. Stubs of shards, coordinators and the shard manager are
 * named under the scope and placed by it (`databaseStub`), and page tokens
 * and transaction ids are signed with a key bound to it (`tokenKey`), so a
 * token issued in one database is refused in every other.
 */
import type { Env } from "../env.js";
import { DATABASE_KEY_MARK, DEVELOPMENT_PAGE_TOKEN_KEY } from "../pagination/page-token.js";
import { placedStub, type PlaceableNamespace } from "../routing/localityManager.js";
import { DEFAULT_SCOPE, isDefaultScope, objectName, type DatabaseScope } from "./names.js";

/** `env` addressing database `scope`. */
export function databaseEnv(env: Env, scope: DatabaseScope): Env {
  return isDefaultScope(scope) && env.database === undefined ? env : { ...env, database: scope };
}

/** The database an Env addresses: its scope, or `default`'s. */
export function scopeOf(env: Env): DatabaseScope {
  return env.database ?? DEFAULT_SCOPE;
}

/**
 * The stub of the object named `base` (such as `shard-3`) of `env`'s
 * database in `namespace`: named under the database and placed by its
 * placement (the locality-aware router).
 */
export function databaseStub<Stub>(env: Env, namespace: Pick<DurableObjectNamespace, "idFromName">, base: string): Stub {
  const scope = scopeOf(env);
  return placedStub(namespace as unknown as PlaceableNamespace<Stub>, scope.placement, objectName(scope, base));
}

/**
 * The key that signs `env`'s database's page tokens and transaction ids:
 * PAGE_TOKEN_KEY (a development key when unset) for `default`, unchanged so
 * tokens issued before databases existed stay valid, and for any other
 * database that key joined with the database's id and uid (HMAC takes a key
 * of any length). A token of another database, or of an earlier incarnation
 * of the same one, fails its MAC.
 */
export function tokenKey(env: Env): string {
  const base = env.PAGE_TOKEN_KEY ?? DEVELOPMENT_PAGE_TOKEN_KEY;
  const scope = scopeOf(env);
  return isDefaultScope(scope) ? base : `${base}${DATABASE_KEY_MARK}${scope.id}/${scope.uid}`;
}
