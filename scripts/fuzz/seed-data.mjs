// The campaign's known data set, its checksum, and the real tokens and
// transaction ids recorded from it (page tokens, resume tokens, live,
// committed and rolled-back transactions) for the fuzzer to replay and
// forge. Everything here goes through Connect JSON with plain fetch.
import { createHash } from "node:crypto";
import { RESHARD_DATABASE } from "./admin-requests.mjs";

/** Seeded collections (the run's state directory is fresh, so fixed names are safe and replay). */
export const SEEDED_COLLECTIONS = ["fz_a", "fz_b", "fz_c"];
/** Throwaway collections that hostile writes mostly go to. */
export const SCRATCH_COLLECTIONS = ["fz_tmp_1", "fz_tmp_2", "fz_tmp_3"];
/** Ids of each seeded collection: plain ones and ones that look like tricks but are valid ids. */
export const SEEDED_IDS = [...Array.from({ length: 12 }, (_, i) => `d${i}`), "__proto__", "constructor", "a..b", "x.y", "=", "~-~"];
/** Field names of the seeded documents (used as names in hostile paths). */
export const SEEDED_FIELDS = ["n", "s", "tags", "nested", "__proto__", "a.b"];
/** Documents per ListDocuments page while checksumming. */
const CHECKSUM_PAGE_SIZE = 1000;
/** Pages a checksum may read per collection before it gives up (a bound, not an expectation). */
const CHECKSUM_PAGES_MAX = 100;

/** Calls a unary RPC over Connect JSON; resolves to the parsed answer or throws with the error. */
export async function call(workerUrl, service, method, body, database = "default") {
  const headers = { "content-type": "application/json", "impossibledb-database": database };
  const res = await fetch(`${workerUrl}/impossibledb.v1.${service}/${method}`, { method: "POST", headers, body: JSON.stringify(body) });
  const json = await res.json();
  if (res.status !== 200) throw new Error(`${service}.${method}: ${json.code}: ${json.message}`);
  return json;
}

function documentData(collection, i, id) {
  return { n: i, s: `${collection}-${id}`, tags: ["x", i % 3 === 0 ? "y" : "z"], nested: { a: { b: i * 1.5 } }, ["__proto__"]: { p: i }, "a.b": id, loc: { lat: ((i * 37) % 181) - 90, lng: ((i * 71) % 361) - 180 } };
}

/** Writes the seeded documents and returns what the fuzzer replays: names, tokens and transaction ids. */
export async function seedData(workerUrl) {
  for (const collection of SEEDED_COLLECTIONS) {
    const writes = SEEDED_IDS.map((id, i) => ({ ref: { collection, id }, set: documentData(collection, i, id) }));
    await call(workerUrl, "CollectionService", "BatchWriteDocuments", { writes });
  }
  // Search indexes (text and geo), so fuzzed searches reach the shards' search code, not only FAILED_PRECONDITION.
  for (const collection of SEEDED_COLLECTIONS) {
    await call(workerUrl, "AdminService", "CreateSearchIndex", { index: { collection, textFields: [{ field: "s", weight: 2 }, { field: "tags" }], geoField: "loc" } });
  }
  const pageTokens = [];
  for (const collection of SEEDED_COLLECTIONS) {
    pageTokens.push((await call(workerUrl, "CollectionService", "ListDocuments", { collection, pageSize: 2 })).nextPageToken);
    const query = { collection, filter: "n >= 1", orderBy: [{ field: "n" }] };
    pageTokens.push((await call(workerUrl, "QueryService", "RunQuery", { query, pageSize: 2 })).nextPageToken);
  }
  pageTokens.push((await call(workerUrl, "CollectionService", "ListCollections", { pageSize: 1 })).nextPageToken);
  const resumeTokens = [await resumeToken(workerUrl, { document: { collection: "fz_a", id: "d1" } }), await resumeToken(workerUrl, { query: { collection: "fz_b", filter: "n > 3" } })];
  // The throwaway database that valid StartResharding requests go to (admin-requests.mjs), with documents to move.
  await call(workerUrl, "AdminService", "CreateDatabase", { databaseId: RESHARD_DATABASE });
  const reshardWrites = SEEDED_IDS.map((id, i) => ({ ref: { collection: "fz_r", id }, set: documentData("fz_r", i, id) }));
  await call(workerUrl, "CollectionService", "BatchWriteDocuments", { writes: reshardWrites }, RESHARD_DATABASE);
  const transactions = [];
  for (const options of [{}, { readOnly: true }, {}, {}]) transactions.push((await call(workerUrl, "TransactionService", "BeginTransaction", { options })).transaction);
  await call(workerUrl, "TransactionService", "Rollback", { transaction: transactions[2] });
  await call(workerUrl, "TransactionService", "Commit", { transaction: transactions[3], writes: [{ ref: { collection: "fz_tmp_1", id: "committed" }, set: { v: 1 } }] });
  return { collections: SEEDED_COLLECTIONS, scratch: SCRATCH_COLLECTIONS, ids: SEEDED_IDS, fields: SEEDED_FIELDS, pageTokens: pageTokens.filter(Boolean), resumeTokens, transactions };
}

/** The first resume token of a Listen on `target`, read over the Connect streaming JSON protocol. */
async function resumeToken(workerUrl, target) {
  const controller = new AbortController();
  const body = Buffer.from(JSON.stringify(target));
  const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), body]);
  framed.writeUInt32BE(body.length, 1);
  const res = await fetch(`${workerUrl}/impossibledb.v1.QueryService/Listen`, { method: "POST", headers: { "content-type": "application/connect+json" }, body: framed, signal: controller.signal });
  let buffered = Buffer.alloc(0);
  try {
    for await (const chunk of res.body) {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 5 && buffered.length >= 5 + buffered.readUInt32BE(1)) {
        const message = JSON.parse(buffered.subarray(5, 5 + buffered.readUInt32BE(1)).toString("utf8"));
        buffered = buffered.subarray(5 + buffered.readUInt32BE(1));
        if (message.resumeToken) return message.resumeToken;
      }
    }
  } finally {
    controller.abort();
  }
  throw new Error(`Listen ${JSON.stringify(target)} ended without a resume token`);
}

/**
 * Every document of the seeded collections ("collection/id" -> digest of
 * version and data) and the list of collections.
 */
export async function snapshot(workerUrl) {
  const docs = new Map();
  for (const collection of SEEDED_COLLECTIONS) {
    let pageToken = "";
    for (let page = 0; page < CHECKSUM_PAGES_MAX; page++) {
      const res = await call(workerUrl, "CollectionService", "ListDocuments", { collection, pageSize: CHECKSUM_PAGE_SIZE, pageToken });
      for (const d of res.documents ?? []) docs.set(`${collection}/${d.id}`, createHash("sha256").update(JSON.stringify([d.version, d.data])).digest("hex"));
      pageToken = res.nextPageToken ?? "";
      if (pageToken === "") break;
    }
  }
  const collections = new Set();
  let pageToken = "";
  for (let page = 0; page < CHECKSUM_PAGES_MAX; page++) {
    const res = await call(workerUrl, "CollectionService", "ListCollections", { pageSize: CHECKSUM_PAGE_SIZE, pageToken });
    for (const c of res.collections ?? []) collections.add(c.name);
    pageToken = res.nextPageToken ?? "";
    if (pageToken === "") break;
  }
  const admin = await adminState(workerUrl);
  const digest = createHash("sha256").update(JSON.stringify([[...docs].sort(), admin])).digest("hex").slice(0, 16);
  return { docs, collections, admin, digest };
}

/**
 * What the admin RPCs change, beside documents: the database ids, the API
 * keys (id and whether revoked), and the default database's rules; each as
 * text, compared whole.
 */
async function adminState(workerUrl) {
  const ids = [];
  let pageToken = "";
  for (let page = 0; page < CHECKSUM_PAGES_MAX; page++) {
    const res = await call(workerUrl, "AdminService", "ListDatabases", { pageSize: CHECKSUM_PAGE_SIZE, pageToken });
    for (const d of res.databases ?? []) ids.push(d.name);
    pageToken = res.nextPageToken ?? "";
    if (pageToken === "") break;
  }
  const keys = (await call(workerUrl, "AdminService", "ListApiKeys", { showRevoked: true })).keys ?? [];
  const rules = (await call(workerUrl, "AdminService", "GetRules", {})).rules?.collections ?? [];
  return {
    databases: JSON.stringify(ids.sort()),
    apiKeys: JSON.stringify(keys.map((k) => [k.id, k.revokeTime ?? null, k.roles]).sort()),
    rules: JSON.stringify(rules),
  };
}

/**
 * The differences between two snapshots that acknowledged writes do not
 * explain: `acked` holds the documents ("collection/id") and whole
 * collections that acknowledged writes named.
 */
export function unexplainedChanges(before, after, acked) {
  const problems = [];
  // An admin change is explained by an acknowledged request of its kind (acked.admin: "databases", "apiKeys", "rules:<database>").
  const explains = { databases: "databases", apiKeys: "apiKeys", rules: "rules:default" };
  for (const [what, text] of Object.entries(before.admin)) {
    if (after.admin[what] !== text && !acked.admin.has(explains[what])) problems.push(`${what} changed with no acknowledged request that may change them: ${text.slice(0, 300)} -> ${after.admin[what].slice(0, 300)}`);
  }
  for (const key of new Set([...before.docs.keys(), ...after.docs.keys()])) {
    if (before.docs.get(key) === after.docs.get(key)) continue;
    const collection = key.slice(0, key.indexOf("/"));
    if (acked.docs.has(key) || acked.collections.has(collection)) continue;
    problems.push(`${key} ${before.docs.has(key) ? (after.docs.has(key) ? "changed" : "vanished") : "appeared"} with no acknowledged write naming it`);
  }
  for (const collection of before.collections) {
    if (!after.collections.has(collection) && !acked.collections.has(collection) && [...before.docs.keys()].some((k) => k.startsWith(`${collection}/`) && !acked.docs.has(k))) {
      problems.push(`collection ${collection} vanished from ListCollections`);
    }
  }
  return problems;
}
