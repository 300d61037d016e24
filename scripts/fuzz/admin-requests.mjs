// Hostile requests for the AdminService RPCs that came after the campaign's
// first version: databases (CreateDatabase, GetDatabase, ListDatabases,
// DeleteDatabase), API keys (CreateApiKey, ListApiKeys, RevokeApiKey), rules
// (SetRules, GetRules) and resharding (StartResharding, GetResharding,
// CancelResharding). Each request may carry an `impossibledb-database`
// header (`headers`), which names the database it acts on.
//
// Resharding: a StartResharding the server accepts changes the database's
// shard layout (not its data), starts background copying, and makes the
// next StartResharding FAILED_PRECONDITION until it ends. On the seeded
// `default` database that would change what the rest of the campaign runs
// against (its own calls waiting in a cutover, listeners restarted), and
// the run would stop being replayable from a seed. So valid shard counts
// (1, 2, 3; see VALID_SHARD_COUNTS for why not 1024) go only to the throwaway
// database RESHARD_DATABASE, which holds a few documents of its own;
// `default` gets only counts no server accepts (0, negative, past 1024, out
// of int32, of the wrong JSON type). Every StartResharding is sent
// undamaged (`intact`): a flipped bit or a cut digit could turn 1025 into a
// valid count on `default`, or 3 into 67 (or 1024) on the throwaway one.
import fc from "fast-check";
import { hostileNumber, hostileString } from "./values.mjs";

/** The throwaway database every valid StartResharding goes to (made by seedData). */
export const RESHARD_DATABASE = "fz-reshard";
/** Throwaway databases that CreateDatabase and DeleteDatabase may name. */
export const SCRATCH_DATABASES = ["fz-db-1", "fz-db-2"];
/** Shard counts every server refuses (StartResharding allows 1..1024). */
const INVALID_SHARD_COUNTS = [0, -1, -1024, 1025, 2048, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 + 2, "1025", "-1", "x", "", 1.5, 1024.5, true, [], {}, "9223372036854775807"];
/**
 * Shard counts the server accepts: the lower bound and small ones. Not the
 * upper bound, 1024 (SHARD_COUNT_MAX), though it is valid: locally every
 * Durable Object runs in the one workerd process, and a resharding to
 * 1,024 shards starves every other call for minutes (this campaign found it:
 * /healthz took 65 s), which would count as hangs that say nothing about
 * hostile input. 1025 and beyond are sent, to every database.
 */
const VALID_SHARD_COUNTS = [1, 2, 3];
/** Header values for `impossibledb-database` (printable ASCII only: fetch and HTTP/2 refuse the rest before sending). */
const DATABASE_HEADERS = ["default", RESHARD_DATABASE, ...SCRATCH_DATABASES, "nope", "Default", "DEFAULT", "*", "", " ", "-a", "a-", "1a", "a_b", "a.b", "../default", "default/../x", "databases/default", "default,fz-reshard", "a".repeat(63), "a".repeat(64), "a".repeat(4000), "__proto__", "constructor", "' OR 1=1 --", "%00", "%2e%2e"];

/** A printable-ASCII database id for a header: the listed ones, or random near-grammar text. */
const databaseHeader = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...DATABASE_HEADERS) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9_.*-]{0,20}$/) });

/**
 * Arbitraries for the newer AdminService RPCs, in the shape of
 * requests.mjs's `rpc` entries. `rpc(service, method, arb, kind)` builds an
 * entry; an arb yields `{ json, headers?, intact? }`.
 */
export function adminRequestArbitraries(ctx, rpc, hostileRules) {
  const names = [...ctx.collections, ...ctx.ids, ...ctx.fields, ...SCRATCH_DATABASES, RESHARD_DATABASE, "default"];
  const str = hostileString(names);
  const databaseId = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SCRATCH_DATABASES, RESHARD_DATABASE, "default", "nope") },
    { weight: 2, arbitrary: fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/).map((s) => `fz-new-${s}`) },
    { weight: 1, arbitrary: fc.constantFrom("a".repeat(63), "a".repeat(64), "A", "1a", "-", "a_b", "*", "") },
    { weight: 3, arbitrary: str },
  );
  const databaseName = fc.oneof(databaseId.map((id) => `databases/${id}`), databaseId, fc.constantFrom("databases/", "databases//default", "databases/default/x", "Databases/default", "databases/*"));
  const placement = fc.record({ locationHint: fc.oneof(fc.constantFrom("wnam", "enam", "weur", "eeur", "apac", "oc", "afr", "me", ""), str), jurisdiction: fc.oneof(fc.constantFrom("eu", "fedramp", ""), str) }, { requiredKeys: [] });
  const database = fc.record({ name: databaseName, placement, state: fc.constantFrom("STATE_ACTIVE", "STATE_DELETING", "STATE_UNSPECIFIED", 7) }, { requiredKeys: [] });
  const role = fc.oneof({ weight: 4, arbitrary: fc.constantFrom("ROLE_READ_ONLY", "ROLE_READ_WRITE", "ROLE_ADMIN") }, { weight: 1, arbitrary: fc.constantFrom("ROLE_UNSPECIFIED", 0, 4, -1, 2 ** 31, "ADMIN", "read_only", null) });
  const roleKey = fc.oneof(fc.constantFrom("*", "default", RESHARD_DATABASE, "**", "", "a".repeat(63), "a".repeat(64), "__proto__", "constructor", "Default"), databaseId);
  const roles = fc.oneof(
    { weight: 8, arbitrary: fc.dictionary(roleKey, role, { maxKeys: 4 }) },
    { weight: 1, arbitrary: fc.constantFrom(64, 65, 1000).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`db${i}`, "ROLE_READ_ONLY"]))) },
    { weight: 1, arbitrary: fc.constantFrom([], "ROLE_ADMIN", null, 1, { "": "" }) },
  );
  const expireTime = fc.constantFrom("2099-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "2000-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "x", "", 1);
  const keyId = fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), fc.constantFrom("0".repeat(16), "f".repeat(16), "F".repeat(16), "0".repeat(15), "0".repeat(17), "idb_0_x", ""), str);
  const withDatabase = (arb) => fc.tuple(arb, fc.option(databaseHeader, { nil: undefined, freq: 2 })).map(([json, db]) => (db === undefined ? { json } : { json, headers: { "impossibledb-database": db } }));
  const startResharding = fc.oneof(
    fc.constantFrom(...VALID_SHARD_COUNTS).map((shardCount) => ({ json: { shardCount }, headers: { "impossibledb-database": RESHARD_DATABASE }, intact: true })),
    fc.tuple(fc.constantFrom(...INVALID_SHARD_COUNTS), fc.constantFrom("default", undefined, RESHARD_DATABASE)).map(([shardCount, db]) => ({
      json: { shardCount },
      ...(db === undefined ? {} : { headers: { "impossibledb-database": db } }),
      intact: true,
    })),
  );
  // Anything but `default` may be resharded, damaged or not.
  const nonDefaultHeader = databaseHeader.filter((db) => db.toLowerCase() !== "default" && db.trim() !== "" && !db.startsWith(" "));
  const cancelResharding = fc.oneof(
    fc.constant({ json: {}, headers: { "impossibledb-database": RESHARD_DATABASE } }),
    fc.constant({ json: {} }),
    nonDefaultHeader.map((db) => ({ json: {}, headers: { "impossibledb-database": db } })),
  );

  const A = "AdminService";
  return [
    rpc(A, "CreateDatabase", withDatabase(fc.record({ databaseId, database }, { requiredKeys: [] })), "admin"),
    rpc(A, "GetDatabase", withDatabase(fc.record({ name: databaseName }, { requiredKeys: [] }))),
    rpc(A, "ListDatabases", withDatabase(fc.record({ pageSize: hostileNumber, pageToken: fc.oneof(str, fc.constantFrom(...ctx.pageTokens)) }, { requiredKeys: [] }))),
    rpc(A, "DeleteDatabase", withDatabase(fc.record({ name: fc.oneof(databaseName, fc.constantFrom("databases/default", "default")) }, { requiredKeys: [] })), "admin"),
    rpc(A, "CreateApiKey", withDatabase(fc.record({ displayName: str, roles, expireTime }, { requiredKeys: [] })), "admin"),
    rpc(A, "ListApiKeys", withDatabase(fc.record({ showRevoked: fc.oneof(fc.boolean(), hostileNumber) }, { requiredKeys: [] }))),
    rpc(A, "RevokeApiKey", withDatabase(fc.record({ id: keyId }, { requiredKeys: [] })), "admin"),
    rpc(A, "SetRules", withDatabase(hostileRules), "admin"),
    rpc(A, "GetRules", withDatabase(fc.constant({}))),
    rpc(A, "StartResharding", startResharding, "admin"),
    rpc(A, "GetResharding", withDatabase(fc.constant({}))),
    rpc(A, "CancelResharding", cancelResharding, "admin"),
  ];
}
