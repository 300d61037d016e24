/**
 * The Worker's side of the catalog: the catalog object's stub, and a
 * bounded per-isolate cache of which databases exist, so a request to a
 * database other than `default` costs no catalog call while its entry is
 * fresh (DATABASE_CACHE_TTL_MS). Only databases found ACTIVE are cached; a
 * missing or DELETING one is asked about again on every request, so a
 * database is usable from every isolate as soon as CreateDatabase answers.
 *
 * Every NOT_FOUND about a database (here, and errors.ts for an erased
 * object) has a message starting "database ", which no NOT_FOUND about a
 * document has: the clients' `get`, which answers null for a missing
 * document, tells the two apart by it (the contract says so in
 * admin_service.proto, message Database).
 */
import type { Env } from "../env.js";
import { FailureError } from "../errors.js";
import { DATABASE_CACHE_ENTRIES_MAX, DATABASE_CACHE_TTL_MS } from "../limits.js";
import { SHARD_MANAGER_NAME, type ShardManager } from "../objects/ShardManager.js";
import type { Remote } from "../shards/shard-client.js";
import { databaseStub } from "./database-env.js";
import { DEFAULT_DATABASE_ID, DEFAULT_SCOPE, type DatabaseScope } from "./names.js";

/** The catalog's RPC surface as the Worker sees it. */
export type CatalogStub = Remote<Pick<ShardManager, "createDatabase" | "getDatabase" | "listDatabases" | "beginDeleteDatabase" | "finishDeleteDatabase">>;

/** The catalog: the `default` database's shard manager, whatever database `env` addresses. */
export function catalogStub(env: Env): CatalogStub {
  return databaseStub<CatalogStub>({ ...env, database: DEFAULT_SCOPE }, env.SHARD_MANAGER, SHARD_MANAGER_NAME);
}

interface Entry {
  readonly scope: DatabaseScope;
  readonly fetchedAtMs: number;
}

/** Active databases by id, in the order first cached; at most DATABASE_CACHE_ENTRIES_MAX. */
const active = new Map<string, Entry>();

/**
 * The scope of database `id` (a valid id), from the cache when fresh,
 * otherwise looked up by this request (requests never await each other's
 * lookups: docs/architecture.md, "Requests never await each other").
 * NOT_FOUND when it does not exist or is being deleted.
 */
export async function resolveDatabase(env: Env, id: string): Promise<DatabaseScope> {
  if (id === DEFAULT_DATABASE_ID) return DEFAULT_SCOPE;
  const entry = active.get(id);
  if (entry !== undefined && Date.now() - entry.fetchedAtMs < DATABASE_CACHE_TTL_MS) return entry.scope;
  return lookUp(env, id);
}

async function lookUp(env: Env, id: string): Promise<DatabaseScope> {
  const record = await catalogStub(env).getDatabase(id);
  if (record === null || record.state !== "active") {
    active.delete(id);
    const why = record === null ? "does not exist" : "is being deleted";
    throw new FailureError("not_found", `database ${id} ${why}: create it with AdminService.CreateDatabase, or omit the impossibledb-database header to use the default database`);
  }
  const scope: DatabaseScope = { id: record.id, uid: record.uid, placement: record.placement };
  remember(scope);
  return scope;
}

/** Caches an active database's scope (after this isolate created it, or looked it up). */
export function remember(scope: DatabaseScope): void {
  active.delete(scope.id);
  active.set(scope.id, { scope, fetchedAtMs: Date.now() });
  while (active.size > DATABASE_CACHE_ENTRIES_MAX) active.delete(active.keys().next().value!);
}

/** Drops database `id` from this isolate's cache (it is being deleted). */
export function forget(id: string): void {
  active.delete(id);
}
