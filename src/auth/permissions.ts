/**
 * What each RPC needs, and what each role grants. The table names every
 * method of every service; test/unit/auth/permissions.test.ts checks it
 * against the service descriptors, so a new RPC cannot ship unprotected.
 */

/** A right on one database. */
export type Permission = "read" | "write" | "admin";

/** A role on one database, as API keys and JWT role claims carry it. */
export type Role = "read_only" | "read_write" | "admin";

/** Every role, for parsing. */
export const ROLES: readonly Role[] = ["read_only", "read_write", "admin"];

/** The database id that stands for every database in a role map. */
export const ALL_DATABASES = "*";

/**
 * The permission of each method, by `package.Service/Method`. Commit is
 * "write", but a Commit that carries no writes (a read-only transaction's)
 * needs only "read": see {@link requiredPermission}.
 */
export const METHOD_PERMISSIONS: Readonly<Record<string, Permission>> = {
  "impossibledb.v1.CollectionService/GetDocument": "read",
  "impossibledb.v1.CollectionService/BatchGetDocuments": "read",
  "impossibledb.v1.CollectionService/ListDocuments": "read",
  "impossibledb.v1.CollectionService/CreateDocument": "write",
  "impossibledb.v1.CollectionService/SetDocument": "write",
  "impossibledb.v1.CollectionService/UpdateDocument": "write",
  "impossibledb.v1.CollectionService/DeleteDocument": "write",
  "impossibledb.v1.CollectionService/BatchWriteDocuments": "write",
  "impossibledb.v1.CollectionService/AddDocument": "write",
  "impossibledb.v1.CollectionService/ListCollections": "read",
  "impossibledb.v1.CollectionService/DeleteCollection": "write",
  "impossibledb.v1.QueryService/RunQuery": "read",
  "impossibledb.v1.QueryService/StreamQuery": "read",
  "impossibledb.v1.QueryService/RunAggregationQuery": "read",
  "impossibledb.v1.QueryService/Listen": "read",
  "impossibledb.v1.TransactionService/BeginTransaction": "read",
  "impossibledb.v1.TransactionService/GetDocuments": "read",
  "impossibledb.v1.TransactionService/Commit": "write",
  "impossibledb.v1.TransactionService/Rollback": "read",
  "impossibledb.v1.TransactionService/CommitBatch": "write",
  "impossibledb.v1.AdminService/GetRoutingTable": "admin",
  "impossibledb.v1.AdminService/ListShards": "admin",
  "impossibledb.v1.AdminService/CreateIndex": "admin",
  "impossibledb.v1.AdminService/GetIndex": "admin",
  "impossibledb.v1.AdminService/ListIndexes": "admin",
  "impossibledb.v1.AdminService/DeleteIndex": "admin",
  "impossibledb.v1.AdminService/CreateSearchIndex": "admin",
  "impossibledb.v1.AdminService/GetSearchIndex": "admin",
  "impossibledb.v1.AdminService/DeleteSearchIndex": "admin",
  "impossibledb.v1.AdminService/ExportDocuments": "admin",
  "impossibledb.v1.AdminService/GetMetrics": "admin",
  "impossibledb.v1.AdminService/CreateDatabase": "admin",
  "impossibledb.v1.AdminService/GetDatabase": "admin",
  "impossibledb.v1.AdminService/ListDatabases": "admin",
  "impossibledb.v1.AdminService/DeleteDatabase": "admin",
  "impossibledb.v1.AdminService/CreateApiKey": "admin",
  "impossibledb.v1.AdminService/ListApiKeys": "admin",
  "impossibledb.v1.AdminService/RevokeApiKey": "admin",
  "impossibledb.v1.AdminService/StartResharding": "admin",
  "impossibledb.v1.AdminService/GetResharding": "admin",
  "impossibledb.v1.AdminService/CancelResharding": "admin",
  "impossibledb.v1.AdminService/SetRules": "admin",
  "impossibledb.v1.AdminService/GetRules": "admin",
};

/**
 * Methods whose permission holds on every database (`*`) rather than the
 * request's: API keys span databases, so managing them does too.
 */
export const ALL_DATABASE_METHODS: ReadonlySet<string> = new Set([
  // Databases are created, listed, read and deleted by the deployment's
  // admins (a key that is admin of every database, `*`): a database's own
  // admin does not manage the set of databases.
  "impossibledb.v1.AdminService/CreateDatabase",
  "impossibledb.v1.AdminService/GetDatabase",
  "impossibledb.v1.AdminService/ListDatabases",
  "impossibledb.v1.AdminService/DeleteDatabase",
  "impossibledb.v1.AdminService/CreateApiKey",
  "impossibledb.v1.AdminService/ListApiKeys",
  "impossibledb.v1.AdminService/RevokeApiKey",
]);

const COMMIT = "impossibledb.v1.TransactionService/Commit";
const BEGIN = "impossibledb.v1.TransactionService/BeginTransaction";
const GET_DOCUMENTS = "impossibledb.v1.TransactionService/GetDocuments";

/** TransactionOptions as they arrive (the generated message, or absent). */
interface OptionsShape {
  readonly readOnly?: boolean;
  readonly retryOf?: string;
}

/**
 * True when `options` begin a retry: a read-write transaction with
 * `retry_of`, which inherits its first attempt's priority and takes read
 * locks that make younger writers wait. Only a caller that may write gets
 * that: a read-only credential could otherwise hold locks that stall every
 * writer of a document (found by a new-user test).
 */
function beginsRetry(options: OptionsShape | undefined | null): boolean {
  return options !== undefined && options !== null && options.readOnly !== true && (options.retryOf ?? "") !== "";
}

/**
 * The permission `method` needs for this request message, or undefined for a
 * method the table does not name (the caller refuses it: no table entry, no
 * access).
 */
export function requiredPermission(method: string, message: unknown): Permission | undefined {
  const permission = Object.hasOwn(METHOD_PERMISSIONS, method) ? METHOD_PERMISSIONS[method] : undefined;
  const request = message as { writes?: unknown[]; options?: OptionsShape; newTransaction?: OptionsShape } | null | undefined;
  if (method === BEGIN && beginsRetry(request?.options)) return "write";
  if ((method === GET_DOCUMENTS || method === COMMIT) && beginsRetry(request?.newTransaction)) return "write";
  if (method === COMMIT && permission === "write") {
    const writes = request?.writes;
    if (Array.isArray(writes) && writes.length === 0) return "read";
  }
  return permission;
}

const GRANTS: Readonly<Record<Role, readonly Permission[]>> = {
  read_only: ["read"],
  read_write: ["read", "write"],
  admin: ["read", "write", "admin"],
};

/** True when `role` grants `permission`. */
export function roleGrants(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/**
 * True when a role map (`{database: role}`, `*` for every database) grants
 * `permission` on `database`. `database` is `*` for methods that span
 * databases, and only a `*` role grants those.
 */
export function rolesGrant(roles: Readonly<Record<string, Role>>, database: string, permission: Permission): boolean {
  const candidates = database === ALL_DATABASES ? [ALL_DATABASES] : [database, ALL_DATABASES];
  return candidates.some((db) => Object.hasOwn(roles, db) && roleGrants(roles[db]!, permission));
}

/** A role name from outside (a JWT claim), or null when it names no role. */
export function parseRole(value: unknown): Role | null {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value) ? (value as Role) : null;
}
