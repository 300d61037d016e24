/**
 * SQLite in the harness's own process through `node:sqlite` (Node 22's
 * built-in, no native addon): the single-node ceiling, with no network and
 * no process boundary. Same schema and statements as a shard; WAL journal
 * with synchronous=FULL, so each commit is durable as in PostgreSQL with
 * synchronous_commit on. Calls are synchronous: they never overlap, whatever
 * the concurrency.
 */
import { rmSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { DatabaseSync } from "node:sqlite";
import { COLLECTION } from "../config.js";
import { onExitCleanup } from "../lib/exit-cleanup.js";
import type { Document, Driver, RunningSystem } from "./types.js";
import { createSqliteExtensions } from "./sqlite-extensions.js";

export async function startSqlite(): Promise<RunningSystem> {
  const dir = await mkdtemp(path.join(tmpdir(), "idb-bench-sqlite-"));
  const unregister = onExitCleanup(() => rmSync(dir, { recursive: true, force: true }));
  const db = new DatabaseSync(path.join(dir, "bench.db"));
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;");
  db.exec(`CREATE TABLE documents (
     collection TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
     version INTEGER NOT NULL CHECK (version > 0),
     create_time_ms INTEGER NOT NULL, update_time_ms INTEGER NOT NULL, size_bytes INTEGER NOT NULL,
     PRIMARY KEY (collection, id)
   ) WITHOUT ROWID;
   CREATE TABLE shard_sequence (singleton INTEGER PRIMARY KEY CHECK (singleton = 1), last_version INTEGER NOT NULL);
   INSERT INTO shard_sequence VALUES (1, 0);`);
  const read = db.prepare("SELECT data, version FROM documents WHERE collection = ? AND id = ?");
  const bump = db.prepare("UPDATE shard_sequence SET last_version = last_version + 1 WHERE singleton = 1 RETURNING last_version");
  const upsert = db.prepare(
    `INSERT INTO documents (collection, id, data, version, create_time_ms, update_time_ms, size_bytes)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (collection, id) DO UPDATE SET
       data = excluded.data, version = excluded.version,
       update_time_ms = excluded.update_time_ms, size_bytes = excluded.size_bytes`,
  );
  const readRow = (id: string) => read.get(COLLECTION, id) as { data: string; version: number } | undefined;
  const store = (id: string, data: Document, nowMs: number) => {
    const json = JSON.stringify(data);
    const { last_version } = bump.get() as { last_version: number };
    upsert.run(COLLECTION, id, json, last_version, nowMs, nowMs, json.length);
  };
  const transaction = <T>(fn: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = fn();
      db.exec("COMMIT");
      return result;
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  };
  const driver: Driver = {
    ...createSqliteExtensions(db, transaction),
    async get(id) {
      const row = readRow(id);
      return row === undefined ? null : { data: JSON.parse(row.data) as Document, version: row.version };
    },
    async put(id, data) {
      transaction(() => store(id, data, Date.now()));
    },
    async putIfVersion(id, data, version) {
      return transaction(() => {
        if (readRow(id)?.version !== version) return false;
        store(id, data, Date.now());
        return true;
      });
    },
    async increment(id, field, by) {
      return transaction(() => {
        const row = readRow(id);
        if (row === undefined) throw new Error(`document ${id} is missing`);
        const data = JSON.parse(row.data) as Record<string, unknown>;
        const next = typeof data[field] === "number" ? (data[field] as number) + by : by;
        data[field] = next;
        store(id, data as Document, Date.now());
        return next;
      });
    },
    async batchGet(ids) {
      return ids.map((id) => readRow(id)).filter((r) => r !== undefined).map((r) => JSON.parse(r.data)).length;
    },
    async batchPut(entries) {
      const now = Date.now();
      transaction(() => entries.forEach(([id, data]) => store(id, data, now)));
    },
  };
  return {
    id: "sqlite",
    label: "SQLite in-process (node:sqlite)",
    setup: "node:sqlite in the harness process; WAL, synchronous=FULL; same schema and statements as a shard",
    driver,
    serverPids: [],
    concurrent: false,
    async stop() {
      db.close();
      await rm(dir, { recursive: true, force: true });
      unregister();
    },
  };
}
