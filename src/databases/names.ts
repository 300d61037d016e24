/**
 * Database ids, resource names and scopes: pure, no I/O.
 *
 * A database is the unit of placement and tenancy. Its Durable Objects
 * (shards, coordinators, its shard manager) are named under it, except
 * those of the database `default`, whose names are exactly those used
 * before databases existed, so data written then stays reachable.
 * See src/routing/README.md ("Databases").
 */
import { DATABASE_ID_LENGTH_MAX } from "../limits.js";
import type { Placement } from "../routing/localityManager.js";

/** The database a request addresses when it names none; it always exists and cannot be deleted. */
export const DEFAULT_DATABASE_ID = "default";

/** The request header that names the database (Connect, gRPC-Web and gRPC metadata alike). */
export const DATABASE_HEADER = "impossibledb-database";

/** The collection of database resources, as in `databases/{database_id}`. */
export const DATABASES_COLLECTION = "databases";

/**
 * A database id: a lowercase letter, then up to DATABASE_ID_LENGTH_MAX - 1
 * lowercase letters, digits or hyphens (the AIP-122 style of resource ids,
 * and safe inside object names, log lines and headers).
 */
const DATABASE_ID_PATTERN = new RegExp(`^[a-z][a-z0-9-]{0,${DATABASE_ID_LENGTH_MAX - 1}}$`);

/** Whether `id` follows the database id grammar (see DATABASE_ID_PATTERN). */
export function isDatabaseId(id: string): boolean {
  return DATABASE_ID_PATTERN.test(id);
}

/** Why `id` is not a database id, for an INVALID_ARGUMENT message; undefined when it is one. */
export function databaseIdProblem(id: string, field: string): string | undefined {
  if (isDatabaseId(id)) return undefined;
  const shown = id.length > DATABASE_ID_LENGTH_MAX ? `${JSON.stringify(id.slice(0, DATABASE_ID_LENGTH_MAX))}...` : JSON.stringify(id);
  return `${field} ${shown} is not a database id: 1 to ${DATABASE_ID_LENGTH_MAX} characters, a lowercase letter first, then lowercase letters, digits or '-'`;
}

/** The resource name of database `id`: `databases/{id}`. */
export function databaseName(id: string): string {
  return `${DATABASES_COLLECTION}/${id}`;
}

/** The id in a resource name `databases/{id}`; undefined when the name has another form or a bad id. */
export function databaseIdFromName(name: string): string | undefined {
  const prefix = `${DATABASES_COLLECTION}/`;
  if (!name.startsWith(prefix)) return undefined;
  const id = name.slice(prefix.length);
  return isDatabaseId(id) ? id : undefined;
}

/**
 * Everything needed to address a database's objects: its id, the uid of
 * this incarnation (a database deleted and created again gets new objects,
 * so it starts empty even while the old ones are being erased), and where
 * its objects are placed. Immutable for the life of an incarnation.
 */
export interface DatabaseScope {
  readonly id: string;
  /** The incarnation's uid: lowercase base-36, unique per creation; "" for `default`. */
  readonly uid: string;
  readonly placement: Placement;
}

/** The scope of the database `default`: original object names, no placement. */
export const DEFAULT_SCOPE: DatabaseScope = Object.freeze({ id: DEFAULT_DATABASE_ID, uid: "", placement: Object.freeze({}) });

/** Whether `scope` is the database `default`. */
export function isDefaultScope(scope: DatabaseScope): boolean {
  return scope.id === DEFAULT_DATABASE_ID;
}

/**
 * The Durable Object name of `base` (such as `shard-3`, `coordinator-7`,
 * `shard-manager`) inside database `scope`: `base` itself for `default`,
 * else `databases/{id}/{uid}/{base}`. Names of other databases contain `/`,
 * which no name of `default` does, so the two never meet.
 */
export function objectName(scope: DatabaseScope, base: string): string {
  return isDefaultScope(scope) ? base : `${databaseName(scope.id)}/${scope.uid}/${base}`;
}

/**
 * A key naming one incarnation of a database, for caches a Worker isolate
 * shares between requests (decoded changes, signed tokens): `default`, or
 * `databases/{id}/{uid}`. Two databases (or two incarnations of one) never
 * share a key, so nothing cached for one is served to another.
 */
export function databaseKey(scope: DatabaseScope): string {
  return isDefaultScope(scope) ? DEFAULT_DATABASE_ID : `${databaseName(scope.id)}/${scope.uid}`;
}

const UID_PATTERN = /^[0-9a-z]{1,32}$/;

/**
 * The scope as text for a transaction id: `{id}/{uid}/{hint}/{jurisdiction}`
 * ("" for `default`, so default ids keep their original form).
 */
export function encodeScope(scope: DatabaseScope): string {
  if (isDefaultScope(scope)) return "";
  return [scope.id, scope.uid, scope.placement.locationHint ?? "", scope.placement.jurisdiction ?? ""].join("/");
}

/** The scope `encodeScope` wrote; undefined when the text is not one. "" is `default`. */
export function decodeScope(text: string): DatabaseScope | undefined {
  if (text === "") return DEFAULT_SCOPE;
  const [id, uid, hint, jurisdiction, extra] = text.split("/");
  if (id === undefined || uid === undefined || hint === undefined || jurisdiction === undefined || extra !== undefined) return undefined;
  if (!isDatabaseId(id) || id === DEFAULT_DATABASE_ID || !UID_PATTERN.test(uid)) return undefined;
  if (!/^[a-z-]*$/.test(hint) || !/^[a-z-]*$/.test(jurisdiction)) return undefined;
  const placement: Placement = {
    ...(hint !== "" ? { locationHint: hint as NonNullable<Placement["locationHint"]> } : {}),
    ...(jurisdiction !== "" ? { jurisdiction: jurisdiction as NonNullable<Placement["jurisdiction"]> } : {}),
  };
  return { id, uid, placement };
}

/** A fresh incarnation uid: the creation time and 40 random bits, base 36. */
export function newDatabaseUid(nowMs: number): string {
  const random = crypto.getRandomValues(new Uint8Array(5)).reduce((n, b) => n * 256 + b, 0);
  return `${nowMs.toString(36)}${random.toString(36).padStart(8, "0")}`;
}
