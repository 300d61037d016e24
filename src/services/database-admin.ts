/**
 * AdminService's database methods: CreateDatabase, GetDatabase,
 * ListDatabases and DeleteDatabase. They address the catalog (the
 * `default` database's shard manager), whatever the request's
 * `impossibledb-database` header says. See src/routing/README.md
 * ("Databases").
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { DatabaseSchema, Database_State, type AdminService, type Database } from "../../gen/impossibledb/v1/admin_service_pb.js";
import { apiKeyStore, forgetDatabaseKeys } from "../auth/api-keys.js";
import { catalogStub, forget, remember } from "../databases/catalog-client.js";
import type { DatabaseRecord } from "../databases/catalog-store.js";
import { eraseDatabaseObjects } from "../databases/erase.js";
import { DEFAULT_DATABASE_ID, databaseIdFromName, databaseIdProblem, databaseName, isDatabaseId, newDatabaseUid } from "../databases/names.js";
import { tokenKey } from "../databases/database-env.js";
import { FailureError, type Failure } from "../errors.js";
import { DATABASES_PAGE_SIZE_DEFAULT, DATABASES_PAGE_SIZE_MAX } from "../limits.js";
import { decodePageToken, encodePageToken } from "../pagination/page-token.js";
import { placementUnavailable, resolvePlacement, type PlaceableNamespace } from "../routing/localityManager.js";
import { envOf } from "../server/context.js";
import { requestLocationKey } from "../server/database.js";

/** The scope of ListDatabases page tokens. */
const DATABASES_TOKEN_SCOPE = "databases";

type DatabaseMethods = Pick<ServiceImpl<typeof AdminService>, "createDatabase" | "getDatabase" | "listDatabases" | "deleteDatabase">;

/** The database methods of AdminService. */
export function createDatabaseAdmin(): DatabaseMethods {
  return {
    async createDatabase(req, ctx) {
      const problem = databaseIdProblem(req.databaseId, "database_id");
      if (problem !== undefined) throw new FailureError("invalid_argument", problem);
      const requested = req.database?.placement;
      const placed = resolvePlacement({ locationHint: requested?.locationHint ?? "", jurisdiction: requested?.jurisdiction ?? "" }, ctx.values.get(requestLocationKey)());
      if (!placed.ok) throw new FailureError("invalid_argument", placed.message);
      const env = envOf(ctx);
      const unavailable = placementUnavailable(env.SHARD as unknown as PlaceableNamespace<unknown>, placed.placement);
      if (unavailable !== undefined) throw new FailureError("failed_precondition", unavailable);
      const nowMs = Date.now();
      const created = await catalogStub(env).createDatabase(req.databaseId, newDatabaseUid(nowMs), placed.placement, nowMs);
      const record = orThrow(created).record;
      remember(record);
      return { database: toDatabase(record) };
    },

    async getDatabase(req, ctx) {
      const id = idFromName(req.name);
      const record = await catalogStub(envOf(ctx)).getDatabase(id);
      if (record === null) throw new FailureError("not_found", `database ${id} does not exist`);
      return { database: toDatabase(record) };
    },

    async listDatabases(req, ctx) {
      const env = envOf(ctx);
      // Tokens are signed with `default`'s key: the catalog is not inside any database.
      const key = tokenKey({ ...env, database: undefined });
      const pageSize = Math.min(req.pageSize || DATABASES_PAGE_SIZE_DEFAULT, DATABASES_PAGE_SIZE_MAX);
      let afterId: string | null = null;
      if (req.pageToken !== "") {
        const decoded = await decodePageToken(key, DATABASES_TOKEN_SCOPE, req.pageToken);
        if (!decoded.ok || typeof decoded.payload !== "string") throw new FailureError("invalid_argument", decoded.ok ? "page_token is invalid" : decoded.message);
        afterId = decoded.payload;
      }
      // One more than the page, to know whether another page follows.
      const records = await catalogStub(env).listDatabases(afterId, pageSize + 1);
      const page = records.slice(0, pageSize);
      const last = page.at(-1);
      const nextPageToken = records.length > pageSize && last !== undefined ? await encodePageToken(key, DATABASES_TOKEN_SCOPE, last.id) : "";
      return { databases: page.map(toDatabase), nextPageToken };
    },

    async deleteDatabase(req, ctx: HandlerContext) {
      const id = idFromName(req.name);
      const env = envOf(ctx);
      const catalog = catalogStub(env);
      const record = orThrow(await catalog.beginDeleteDatabase(id)).record;
      forget(id);
      await eraseDatabaseObjects(env, record);
      // Keys name databases by id: without this, a database created again
      // under the same id would be open to every key of the deleted one.
      // Before the catalog forgets the id, so a retried deletion redoes it.
      await apiKeyStore(env).removeDatabaseRoles(record.id);
      forgetDatabaseKeys(record.id);
      await catalog.finishDeleteDatabase(record.id, record.uid);
      return {};
    },
  };
}

/**
 * The database id in a request's `name`, or INVALID_ARGUMENT quoting the
 * name as given: a bare id ("sdb") is told the form it must take, a name
 * of that form with a bad id is told what is wrong with the id.
 */
function idFromName(name: string): string {
  const id = databaseIdFromName(name);
  if (id !== undefined) return id;
  const shown = JSON.stringify(name.slice(0, 100));
  const prefix = "databases/";
  if (!name.startsWith(prefix)) {
    const hint = isDatabaseId(name) ? ` (did you mean "${prefix}${name}"?)` : "";
    throw new FailureError("invalid_argument", `name ${shown} must be databases/{database_id}${hint}`);
  }
  const problem = databaseIdProblem(name.slice(prefix.length), "database id");
  throw new FailureError("invalid_argument", `name ${shown} must be databases/{database_id}: ${problem}`);
}

function orThrow<T extends { ok: true }>(outcome: T | Failure): T {
  if (!outcome.ok) throw new FailureError(outcome.kind, outcome.message);
  return outcome;
}

/** The wire form of a catalog record. */
function toDatabase(record: DatabaseRecord): Database {
  return create(DatabaseSchema, {
    name: databaseName(record.id),
    placement: { locationHint: record.placement.locationHint ?? "", jurisdiction: record.placement.jurisdiction ?? "" },
    createTime: record.id === DEFAULT_DATABASE_ID ? undefined : timestampFromMs(record.createTimeMs),
    state: record.state === "active" ? Database_State.ACTIVE : Database_State.DELETING,
  });
}
