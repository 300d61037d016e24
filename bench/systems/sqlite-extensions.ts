/**
 * In-process SQLite's transactions and queries: the same `documents` table
 * and version sequence as the point operations. A two-document write or a
 * transfer is one `BEGIN IMMEDIATE` transaction (there is one node, so the
 * "two-shard" case is the same transaction). The query set runs on this ONE
 * database holding every document, with a json_extract expression index for
 * the indexed filter: the single-node floor the query goals are measured against.
 */
import type { DatabaseSync } from "node:sqlite";
import { COLLECTION } from "../config.js";
import { BANK_COLLECTION, ORDERS_COLLECTION, type QueryDriver, type TxDriver } from "./extensions.js";
import type { Document } from "./types.js";

export function createSqliteExtensions(db: DatabaseSync, transaction: <T>(fn: () => T) => T): { tx: TxDriver; query: QueryDriver } {
  const bump = db.prepare("UPDATE shard_sequence SET last_version = last_version + 1 WHERE singleton = 1 RETURNING last_version");
  const upsert = db.prepare(
    `INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (collection, id) DO UPDATE SET
       data = excluded.data, version = excluded.version,
       update_time_ms = excluded.update_time_ms, size_bytes = excluded.size_bytes`,
  );
  const read = db.prepare("SELECT data FROM documents WHERE collection = ? AND id = ?");
  const store = (collection: string, id: string, json: string, nowMs: number) => {
    const { last_version } = bump.get() as { last_version: number };
    upsert.run(collection, id, json, last_version, nowMs, nowMs, json.length);
  };
  const balance = (id: string) => {
    const row = read.get(BANK_COLLECTION, id) as { data: string } | undefined;
    if (row === undefined) throw new Error(`account ${id} is missing`);
    return (JSON.parse(row.data) as { balance: number }).balance;
  };
  const tx: TxDriver = {
    async commitPair([a, da]: readonly [string, Document], [b, db2]: readonly [string, Document]) {
      const now = Date.now();
      transaction(() => {
        store(COLLECTION, a, JSON.stringify(da), now);
        store(COLLECTION, b, JSON.stringify(db2), now);
      });
    },
    async loadAccounts(ids, initial) {
      const now = Date.now();
      transaction(() => ids.forEach((id) => store(BANK_COLLECTION, id, JSON.stringify({ balance: initial }), now)));
    },
    async transfer(from, to, amount) {
      const now = Date.now();
      transaction(() => {
        const a = balance(from);
        const b = balance(to);
        store(BANK_COLLECTION, from, JSON.stringify({ balance: a - amount }), now);
        store(BANK_COLLECTION, to, JSON.stringify({ balance: b + amount }), now);
      });
      return 0; // one connection, transactions never overlap: nothing to abort
    },
    async totalBalance(ids) {
      return ids.reduce((sum, id) => sum + balance(id), 0);
    },
  };

  const x = (field: string) => `json_extract(data, '$.${field}')`;
  const top10 = (s: string, t: string) =>
    db.prepare(
      `SELECT id, ${x(t)} AS v FROM documents WHERE collection = '${ORDERS_COLLECTION}' AND ${x(s)} = ? AND ${x(t)} >= ?
       ORDER BY ${x(t)} DESC, id DESC LIMIT 10`,
    );
  let topIndexed: ReturnType<DatabaseSync["prepare"]> | undefined;
  const topUnindexed = top10("ustatus", "utotal");
  let count: ReturnType<DatabaseSync["prepare"]> | undefined;
  const group = db.prepare(
    `SELECT ${x("region")} AS k, COUNT(*) AS n, SUM(${x("total")}) AS s FROM documents WHERE collection = '${ORDERS_COLLECTION}' GROUP BY k ORDER BY k`,
  );
  const query: QueryDriver = {
    async load(entries) {
      const now = Date.now();
      transaction(() => entries.forEach(([id, d]) => store(ORDERS_COLLECTION, id, JSON.stringify(d), now)));
    },
    async createIndex() {
      db.exec(`CREATE INDEX orders_status_total ON documents (collection, ${x("status")}, ${x("total")}) WHERE collection = '${ORDERS_COLLECTION}'`);
      db.exec("ANALYZE");
      // Prepared after the index exists, so the plan uses it.
      topIndexed = top10("status", "total");
      count = db.prepare(`SELECT COUNT(*) AS n FROM documents WHERE collection = '${ORDERS_COLLECTION}' AND ${x("status")} = ?`);
    },
    async top10(indexed, status, minTotal) {
      const stmt = indexed ? topIndexed : topUnindexed;
      if (stmt === undefined) throw new Error("createIndex first");
      return (stmt.all(status, minTotal) as Array<{ id: string; v: number }>).map((r) => [r.id, r.v] as const);
    },
    async count(status) {
      if (count === undefined) throw new Error("createIndex first");
      return (count.get(status) as { n: number }).n;
    },
    async groupBy() {
      return (group.all() as Array<{ k: string; n: number; s: number }>).map((r) => [r.k, r.n, r.s] as const);
    },
  };
  return { tx, query };
}
